// Far transfers into the hypervisor hole never reach the monitor's pages (issue 12, items
// 3 and 12).
//
// The guest kernel maps one page of its own at the linear addresses of the monitor's GDT
// (0xFC000000), TSS (0xFC010000), IDT (0xFC011000) and bt's translation cache (0xFC100000),
// and at the gap below the hole (0xFBFFF000), with a code stub in it; it far-calls the stub
// at each address through a code segment based at 0x800 (whose page-granular cut ends
// 0x800 bytes short of the hole), and takes an interrupt whose handler lies in the gap
// through the same segment; the stub stores a marker through an expand-down
// data segment whose range reaches the hole (at the IDT page's linear address) and
// returns far. Natively the guest owns those addresses; under ring compression (trap on
// the classic CPU, bt) the monitor performs each transfer with the guest's own limit and
// executes the stub's instructions one at a time (emulate_far_transfer.cpp). Both runs
// end with the same registers and the marker in the guest's page, and under the monitors
// no page of the hole (the real mapping: the monitor's GDT, TSS, IDT, shadow LDT, bt's
// data and TC) holds the marker, the monitor's IDT page is byte for byte unchanged, and
// so are its own GDT slots (the last GDT page), but for accessed bits, and its TSS, but
// for the ring-1 stack (modes/tests/hostile_harness.h).
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::emit32;
using hostile::MonitorTables;
using hostile::segment_descriptor;
using hostile::Where;
using vmm::EventKind;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kGapPt = 0x11000;   // 0xFBC00000-0xFBFFFFFF
constexpr uint32_t kHolePt = 0x12000;  // 0xFC000000-0xFC3FFFFF
constexpr uint32_t kPage = 0x13000;    // the guest's page at every address
constexpr uint32_t kMarker = 0x5EC0DE5Au;

struct Outcome {
  machine::StopReason reason{};
  std::optional<uint32_t> exit_value;
  std::array<uint32_t, 8> gpr{};
  uint32_t page_marker = 0;  // the guest's page, offset 0x100
  uint64_t hole_accesses = 0;
  std::string message;
  // Under a monitor: the real mapping of the hole, before and after the run.
  std::vector<uint32_t> markers_in_hole;  // linear addresses holding the marker
  MonitorTables before, after;
};

std::vector<uint8_t> program() {
  std::vector<uint8_t> c = {
      0x0F, 0x20, 0xE0,  // mov eax, cr4
      0x83, 0xC8, 0x10,  // or eax, 0x10 (PSE)
      0x0F, 0x22, 0xE0,  // mov cr4, eax
      0x0F, 0x01, 0x15,  // lgdt [kGdt + 0x40]
  };
  emit32(c, kGdt + 0x40);
  c.insert(c.end(), {0xB8});  // mov eax, kPd
  emit32(c, kPd);
  c.insert(c.end(), {0x0F, 0x22, 0xD8,              // mov cr3, eax
                     0x0F, 0x20, 0xC0,              // mov eax, cr0
                     0x0D, 0x00, 0x00, 0x00, 0x80,  // or eax, 0x80000000
                     0x0F, 0x22, 0xC0,              // mov cr0, eax
                     0x66, 0xB8, 0x20, 0x00,        // mov ax, 0x20
                     0x8E, 0xC0,                    // mov es, ax
                     0xBC, 0x00, 0x00, 0x09, 0x00,  // mov esp, 0x90000
                     0x31, 0xFF});                  // xor edi, edi
  // lcall 0x18:off for each target: base 0x800 + off is the linear address.
  for (const uint32_t linear : {0xFC000000u, 0xFC010000u, 0xFC011000u, 0xFC100000u, 0xFBFFF800u}) {
    c.push_back(0x9A);
    emit32(c, linear - 0x800);
    c.insert(c.end(), {0x18, 0x00});
  }
  // An interrupt whose handler lies in the gap (through the same code segment).
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x48]
  emit32(c, kGdt + 0x48);
  c.insert(c.end(), {0xCD, 0x41});  // int 0x41
  c.insert(c.end(), {0xE6, 0xF4});  // out 0xF4, al
  return c;
}

// The stub at offsets 0 and 0x800 of the guest's page: mov eax, ~kMarker; not eax;
// mov es:[0xFC011100], eax; inc edi; retf.
std::vector<uint8_t> stub() {
  std::vector<uint8_t> c = {0xB8};
  emit32(c, ~kMarker);  // (the marker is computed: no translation of the stub holds it)
  c.insert(c.end(), {0xF7, 0xD0, 0x26, 0xA3});
  emit32(c, 0xFC011100u);
  c.insert(c.end(), {0x47, 0xCB});
  return c;
}

void prepare(hostile::Run& guest) {
  hostile::write_tables(
      guest, kGdt,
      {0, segment_descriptor(0, 0xFFFFF, 0x9A, 0xC), segment_descriptor(0, 0xFFFFF, 0x92, 0xC),
       segment_descriptor(0x800, 0xFFFFF, 0x9A, 0xC),  // 0x18: code at 0x800
       segment_descriptor(0, 0xF0000, 0x96, 0xC)},     // 0x20: expand-down, B set
      kGdt + 0x40, kIdt, kGdt + 0x48);
  // One interrupt gate, vector 0x41, 0x18:0xFBFFF100 (linear 0xFBFFF900).
  hostile::write_interrupt_gate(guest, kIdt, 0x41, 0x18, 0xFBFFF100u);
  guest.write8(kPage + 0x900, 0x47);  // inc edi
  guest.write8(kPage + 0x901, 0xCF);  // iret
  for (uint32_t i = 0; i < 1024; ++i) guest.write32(kPd + 4 * i, 0);
  guest.write32(kPd, 0x00000083);  // 0-4 MiB: identity, one 4 MiB page (CR4.PSE)
  guest.write32(kPd + 4 * (0xFBC00000u >> 22), kGapPt | 3);
  guest.write32(kPd + 4 * (0xFC000000u >> 22), kHolePt | 3);
  guest.write32(kGapPt + 4 * 1023, kPage | 3);
  for (const uint32_t index : {0x000u, 0x010u, 0x011u, 0x100u}) {
    guest.write32(kHolePt + 4 * index, kPage | 3);
  }
  guest.write(kPage, stub());
  guest.write(kPage + 0x800, stub());
  guest.write(kCode, program());
}

Outcome run(Where where) {
  hostile::Run guest(where, 100000);
  prepare(guest);
  guest.start(kCode);
  Outcome o;
  if (guest.monitored()) o.before = MonitorTables::of(guest.cpu());
  const auto r = guest.run();
  o.reason = r.reason;
  o.exit_value = r.exit_value;
  o.message = r.message;
  const cpu::CpuState& s = guest.cpu().state();
  for (int i = 0; i < 8; ++i) o.gpr[i] = s.gpr[i];
  o.page_marker = guest.read32(kPage + 0x100);
  o.hole_accesses = guest.vm().recorder().counters().count_of(EventKind::hole_access);
  if (guest.monitored()) {
    o.after = MonitorTables::of(guest.cpu());
    o.markers_in_hole = hostile::hole_holding(guest.cpu(), kMarker);
  }
  return o;
}

TEST(HoleFar, TransfersIntoTheMonitorsPagesRunTheGuestsCodeAndLeaveThemUnchanged) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  EXPECT_EQ(native.gpr[cpu::EDI], 6u);  // every stub ran, and the handler
  EXPECT_EQ(native.page_marker, kMarker);
  EXPECT_EQ(native.hole_accesses, 0u);
  for (const Where where : hostile::kMonitors) {
    const char* mode = hostile::name(where);
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.exit_value, native.exit_value) << mode;
    EXPECT_EQ(o.gpr, native.gpr) << mode;
    EXPECT_EQ(o.page_marker, kMarker) << mode;
    EXPECT_GT(o.hole_accesses, 0u) << mode;
    EXPECT_TRUE(o.markers_in_hole.empty()) << mode << ": the marker reached the monitor's page at "
                                           << std::hex << o.markers_in_hole.front();
    EXPECT_EQ(o.after.idt, o.before.idt) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots) << mode << ": the monitor's GDT slots changed";
    EXPECT_EQ(o.after.tss, o.before.tss) << mode << ": the monitor's TSS changed";
  }
}

}  // namespace
}  // namespace vmlab::modes
