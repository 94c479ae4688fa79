// The translated kernel's loads of GS (POP GS, LGS, MOV GS from memory) are the processor's
// own, at the instruction (translate_segment.cpp), and a load can never take a selector the
// check has not passed. tests/kernels/gs_loads shows the same against native and QEMU.
#include <gtest/gtest.h>

#include <vector>

#include "modes/binary-translation/tests/bt_guest_fixture.h"

namespace vmlab::modes::bt {
namespace {

// The code after an LGDT of the table whose operand tables() leaves at 0x6100.
void with_lgdt(std::vector<uint8_t>& code) {
  code.insert(code.begin(), {0x0F, 0x01, 0x15, 0x00, 0x61, 0x00, 0x00});  // lgdt [0x6100]
}

class GsLoadsTest : public BtGuestTest {
 protected:
  // guest_tables()'s six descriptors and two more: 0x30, ring-0 data based at 0x5000 with
  // the accessed bit clear, and 0x38, not present; the LGDT operand for the eight at 0x6100.
  void tables() {
    guest_tables();
    poke32(0x6030, 0x0000FFFF | 0x5000u << 16);
    poke32(0x6034, 0x00CF9200);  // type 0x92: accessed bit clear
    poke32(0x6038, 0x0000FFFF | 0x5000u << 16);
    poke32(0x603C, 0x00CF1200);  // not present
    poke32(0x6100, (8 * 8 - 1) | 0x6000u << 16);
    poke32(0x6104, 0);
    poke32(0x5004, 0xCAFEBABE);
    // #NP and #GP: ESI = the error code, [0x6300] = ESP (the frame), then the exit.
    std::vector<uint8_t> handler = {0x8B, 0x34, 0x24, 0x89, 0x25, 0x00, 0x63, 0x00, 0x00};
    handler.insert(handler.end(), kExit.begin(), kExit.end());
    poke(0x3000, handler);
    gate(11, 0x3000);
    gate(13, 0x3000);
  }
  uint8_t type_byte(uint32_t sel) { return static_cast<uint8_t>(peek32(0x6004 + sel) >> 8); }
  uint64_t loads() const {
    return monitor_->in_tc_counts()[static_cast<size_t>(InTcKind::kLoadGs)];
  }
};

TEST_F(GsLoadsTest, PopGsLoadsItsDescriptorAtThePop) {
  tables();
  std::vector<uint8_t> code = {0x6A, 0x30,                          // push 0x30
                               0x0F, 0xA9,                          // pop gs
                               0x8A, 0x1D, 0x35, 0x60, 0x00, 0x00,  // mov bl, [0x6035]
                               0x8C, 0xE9,                          // mov ecx, gs
                               0x6A, 0x38,                          // push 0x38
                               0x0F, 0xA9};                         // pop gs: #NP(0x38)
  with_lgdt(code);
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EBX] & 0xFF, 0x93u);  // the accessed bit, before any %gs-relative access
  EXPECT_EQ(g[cpu::ECX] & 0xFFFF, 0x30u);
  EXPECT_EQ(g[cpu::ESI], 0x38u);  // #NP(0x38) at the second pop ...
  // ... with ESP as it was (the selector still pushed): the frame below it.
  EXPECT_EQ(peek32(0x6300), 0x8000u - 4 - 16);
  EXPECT_EQ(peek32(0x7FFC), 0x38u);
  EXPECT_EQ(peek32(0x7FEC + 4), 0x1005u + 7 + 2 + 2 + 6 + 2 + 2);  // the frame's EIP: the pop
  EXPECT_EQ(loads(), 1u);
}

TEST_F(GsLoadsTest, SixteenBitPopGsMovesEspByTwo) {
  tables();
  std::vector<uint8_t> code = {0x66, 0x6A, 0x30,  // push word 0x30
                               0x66, 0x0F, 0xA9,  // pop gs (16-bit)
                               0x89, 0xE2,        // mov edx, esp
                               0x8C, 0xE9};       // mov ecx, gs
  with_lgdt(code);
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EDX], 0x8000u);
  EXPECT_EQ(state().gpr[cpu::ECX] & 0xFFFF, 0x30u);
}

TEST_F(GsLoadsTest, LgsThroughItsOwnDestinationAndThroughGs) {
  tables();
  poke32(0x6200, 0x1234);  // far pointers: 0x30:0x1234, 0x38:0x99
  poke32(0x6204, 0x30);
  poke32(0x6208, 0x99);
  poke32(0x620C, 0x38);
  poke32(0x5010, 0x4321);  // at gs:[0x10] once GS is 0x30: 0x30:0x4321
  poke32(0x5014, 0x30);
  std::vector<uint8_t> code = {0xB8, 0x00, 0x62, 0x00, 0x00,              // mov eax, 0x6200
                               0x0F, 0xB5, 0x00,                          // lgs eax, [eax]
                               0x65, 0x8B, 0x1D, 0x04, 0x00, 0x00, 0x00,  // mov ebx, gs:[4]
                               0xB9, 0x00, 0x62, 0x00, 0x00,              // mov ecx, 0x6200
                               0x89, 0xC5,                                // mov ebp, eax
                               0xB8, 0x88, 0x77, 0x66, 0x55,              // mov eax, 0x55667788
                               0x0F, 0xB5, 0x09,  // lgs ecx, [ecx] (EAX the scratch)
                               0x65, 0x8B, 0x15, 0x10, 0x00, 0x00, 0x00,  // mov edx, gs:[0x10]
                               0x65, 0x0F, 0xB5, 0x35, 0x10, 0x00, 0x00,
                               0x00,                          // lgs esi, gs:[0x10]
                               0x89, 0xF2,                    // mov edx, esi
                               0xBF, 0x08, 0x62, 0x00, 0x00,  // mov edi, 0x6208
                               0x0F, 0xB5, 0x3F};             // lgs edi, [edi]: #NP(0x38)
  with_lgdt(code);
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EBP], 0x1234u);
  EXPECT_EQ(g[cpu::EBX], 0xCAFEBABEu);
  EXPECT_EQ(g[cpu::ECX], 0x1234u);
  EXPECT_EQ(g[cpu::EAX] & 0xFFFFFF00u, 0x55667700u);  // the scratch given back (AL: the exit)
  EXPECT_EQ(g[cpu::EDX], 0x4321u);
  EXPECT_EQ(g[cpu::ESI], 0x38u);    // #NP(0x38) at the last LGS ...
  EXPECT_EQ(g[cpu::EDI], 0x6208u);  // ... its destination unchanged
  EXPECT_EQ(peek32(0x6300), 0x8000u - 16);
  EXPECT_EQ(peek32(0x7FF0 + 4), 0x1005u + 7 + 52);
  EXPECT_EQ(type_byte(0x30), 0x93);
  EXPECT_EQ(loads(), 3u);
}

// A load whose selector lies in the guest's own GDT, in the descriptor it names: natively
// the processor reads 0xFEF1, loads descriptor 0x1FDE (a conforming readable code segment,
// DPL 3, accessed bit clear) and sets its accessed bit, which turns the selector's bytes in
// memory into 0xFFF1, the monitor's %gs data. Under bt the processor's write of the bit
// faults into the monitor, which sets it in the guest's descriptor and completes the load
// from the operand as the check read it (BtMonitor::self_naming_load): 0xFEF1, as natively.
// It restarted the load at its check, which read 0xFFF1 and gave #GP(0xFFF0). A second load
// from the same bytes (now 0xFFF1) is #GP(0xFFF0): the guest's slot 0x1FFE is empty (and
// the selector table refuses the monitor's), so natively too; never the monitor's segment.
class SelfNamingDescriptorTest : public GsLoadsTest {
 protected:
  static constexpr uint32_t kGdt = 0x100000;
  machine::RunResult run_load(std::vector<uint8_t> load) {
    tables();
    for (uint32_t i = 0; i < 6 * 8; i += 4) poke32(kGdt + i, peek32(0x6000 + i));
    poke32(kGdt + 0xFEF0, 0x0000FFFF);
    poke32(kGdt + 0xFEF4, 0x00CFFEF1);  // base 23:16 0xF1, type byte 0xFE
    poke32(0x6100, 0xFFFF | (kGdt & 0xFFFF) << 16);
    poke32(0x6104, kGdt >> 16);
    load.insert(load.begin(), {0xBE, 0x5A, 0x5A, 0x00, 0x00});  // mov esi, 0x5A5A
    std::vector<uint8_t> code = load;
    with_lgdt(code);
    return run(0x1000, code);
  }
  // The load made as natively: the selector read before the accessed bit, the bit set.
  void expect_loaded() {
    EXPECT_EQ(state().gpr[cpu::ESI], 0x5A5Au);  // no #GP
    EXPECT_EQ(state().gpr[cpu::EBX] & 0xFFFF, 0xFEF1u);
    EXPECT_EQ(peek32(kGdt + 0xFEF4), 0x00CFFFF1u);  // the accessed bit, in the guest's table
    expect_never_the_monitors();
  }
  void expect_never_the_monitors() {
    for (const unsigned s : {cpu::DS, cpu::ES, cpu::FS}) {
      EXPECT_NE(state().seg[s].selector, 0xFFF1u) << "segment register " << s;
    }
    // (The real %gs is the translator's while the kernel runs in the TC: the guest's is
    // the one its accesses load.)
    ASSERT_TRUE(monitor_->in_tc());
    EXPECT_NE(monitor_->cache().data32(gsdata::kVgs), 0xFFF1u);
    EXPECT_NE(monitor_->cache().data32(gsdata::kVgsLoad) & 0xFFF8u, 0xFFF0u);
  }
};

TEST_F(SelfNamingDescriptorTest, MovDsLoadsTheSelectorItReadAsNatively) {
  const auto r = run_load({0x8E, 0x1D, 0xF4, 0xFE, 0x10, 0x00,  // mov ds, [0x10FEF4]
                           0x8C, 0xDB});                        // mov ebx, ds
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  expect_loaded();
  EXPECT_EQ(state().seg[cpu::DS].selector, 0xFEF1u);
  EXPECT_EQ(state().seg[cpu::DS].base, 0x00F10000u);
}

TEST_F(SelfNamingDescriptorTest, PopGsLoadsTheSelectorItReadAsNatively) {
  const auto r = run_load({0xBC, 0xF4, 0xFE, 0x10, 0x00,          // mov esp, 0x10FEF4
                           0x0F, 0xA9,                            // pop gs
                           0x8C, 0xEB,                            // mov ebx, gs
                           0x89, 0xE7,                            // mov edi, esp
                           0x65, 0xA1, 0x00, 0x00, 0x00, 0x00});  // mov eax, gs:[0]
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  expect_loaded();
  EXPECT_EQ(state().gpr[cpu::EDI], 0x10FEF8u);  // popped
  EXPECT_EQ(monitor_->cache().data32(gsdata::kVgs), 0xFEF1u);
}

TEST_F(SelfNamingDescriptorTest, LgsLoadsTheSelectorItReadAsNatively) {
  const auto r = run_load({0x0F, 0xB5, 0x3D, 0xF0, 0xFE, 0x10, 0x00,  // lgs edi, [0x10FEF0]
                           0x8C, 0xEB,                                // mov ebx, gs
                           0x65, 0xA1, 0x00, 0x00, 0x00, 0x00});      // mov eax, gs:[0]
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  expect_loaded();
  EXPECT_EQ(state().gpr[cpu::EDI], 0xFFFFu);  // the offset, read before the bit too
  EXPECT_EQ(monitor_->cache().data32(gsdata::kVgs), 0xFEF1u);
}

// Hostile: the marked bytes name the monitor's %gs data. The first load is native's; a
// second load from them, into ES and into the virtual GS, is #GP(0xFFF0) and leaves the
// segment register as it was. (DS, a code segment then, is reloaded with the flat data
// selector so that the #GP handler can store.)
TEST_F(SelfNamingDescriptorTest, TheMarkedBytesNeverLoadTheMonitorsSelector) {
  const auto r = run_load({0x8E, 0x1D, 0xF4, 0xFE, 0x10, 0x00,  // mov ds, [0x10FEF4]: 0xFEF1
                           0x8C, 0xDB,                          // mov ebx, ds
                           0xB8, 0x10, 0x00, 0x00, 0x00,        // mov eax, 0x10
                           0x8E, 0xD8,                          // mov ds, ax
                           0x8E, 0x05, 0xF4, 0xFE, 0x10, 0x00,  // mov es, [0x10FEF4]: #GP(0xFFF0)
                           0x8C, 0xDB});                        // (not reached)
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ESI], 0xFFF0u);
  EXPECT_EQ(state().gpr[cpu::EBX] & 0xFFFF, 0xFEF1u);
  EXPECT_EQ(state().seg[cpu::ES].selector & 0xFFFCu, 0x10u);  // (RPL 1 in ring 1)
  expect_never_the_monitors();
}

TEST_F(SelfNamingDescriptorTest, TheMarkedBytesNeverLoadTheMonitorsSelectorIntoGs) {
  const auto r = run_load({0x8E, 0x2D, 0xF4, 0xFE, 0x10, 0x00,  // mov gs, [0x10FEF4]: 0xFEF1
                           0x8C, 0xEB,                          // mov ebx, gs
                           0x8E, 0x2D, 0xF4, 0xFE, 0x10, 0x00,  // mov gs, [0x10FEF4]: #GP(0xFFF0)
                           0x8C, 0xEB});                        // (not reached)
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ESI], 0xFFF0u);
  EXPECT_EQ(state().gpr[cpu::EBX] & 0xFFFF, 0xFEF1u);
  EXPECT_EQ(monitor_->cache().data32(gsdata::kVgs), 0xFEF1u);  // as it was
  expect_never_the_monitors();
}

// A %gs-relative selector for DS: the check reads it through the guest's %gs (it read the
// same offset through DS, which here holds a good selector, and let 0xFFF1 through).
TEST_F(GsLoadsTest, MovDsFromGsMemoryChecksTheSelectorItLoads) {
  tables();
  poke32(0x5020, 0xFFF1);                                     // gs:[0x20], GS = 0x30 (base 0x5000)
  poke32(0x0020, 0x10);                                       // ds:[0x20]
  std::vector<uint8_t> code = {0xBE, 0x5A, 0x5A, 0x00, 0x00,  // mov esi, 0x5A5A
                               0x66, 0xB8, 0x30, 0x00,        // mov ax, 0x30
                               0x8E, 0xE8,                    // mov gs, ax
                               0x65, 0x8E, 0x1D, 0x20, 0x00, 0x00, 0x00,  // mov ds, gs:[0x20]
                               0x8C, 0xDB};                               // mov ebx, ds
  with_lgdt(code);
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::ESI], 0xFFF0u);
  EXPECT_NE(state().seg[cpu::DS].selector, 0xFFF1u);
}

// A 16-bit address size (0x67): the check reads the selector where the processor does,
// [BX] and not [EBX] (it read [EBX], passed the 0x10 there, and `mov ds, [bx]` loaded the
// 0xFFF1 at [BX], bt's %gs data).
TEST_F(GsLoadsTest, SixteenBitAddressesAreCheckedWhereTheProcessorReads) {
  tables();
  poke32(0x0040, 0x777);  // [bx] with BX = 0x40: 0x30:0x777
  poke32(0x0044, 0x30);
  poke32(0x10044, 0xFFF1);                                    // [ebx + 4] with EBX = 0x10040
  poke32(0x0020, 0xFFF1);                                     // [bx] with BX = 0x20
  poke32(0x10020, 0x10);                                      // [ebx]
  std::vector<uint8_t> code = {0xBE, 0x5A, 0x5A, 0x00, 0x00,  // mov esi, 0x5A5A
                               0xBB, 0x40, 0x00, 0x01, 0x00,  // mov ebx, 0x10040
                               0x67, 0x0F, 0xB5, 0x3F,        // lgs edi, [bx]
                               0xBB, 0x20, 0x00, 0x01, 0x00,  // mov ebx, 0x10020
                               0x67, 0x8E, 0x1F,              // mov ds, [bx]: #GP(0xFFF0)
                               0x8C, 0xDB};                   // mov ebx, ds
  with_lgdt(code);
  const auto r = run(0x1000, code);
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EDI], 0x777u);
  EXPECT_EQ(monitor_->cache().data32(gsdata::kVgs), 0x30u);
  EXPECT_EQ(state().gpr[cpu::ESI], 0xFFF0u);
  EXPECT_NE(state().seg[cpu::DS].selector, 0xFFF1u);
}

}  // namespace
}  // namespace vmlab::modes::bt
