// A guest kernel reaches for the monitor's own descriptors through far transfers, segment
// loads and call gates (issue 12, the far-transfer leftovers of items 3 and 12).
//
// Under ring compression the shadow GDT holds the monitor's own descriptors in its last
// slots (the monitor's TSS at 0xFFF8, and under bt the translation cache's code segment at
// 0xFFE8 and the translator's %gs data at 0xFFF0, both ring 1), above every slot a guest's
// table fills; call gates of the guest's are put into the shadow only for the one transfer
// that names them (emulate_call_gate.cpp). The guest's GDT here is six entries long, so
// natively each of those selectors lies past its limit: a far CALL or JMP to one, a load of
// one into a data segment register, and a call gate of the guest's whose target is one, are
// each #GP(selector) (the gate's: #GP(target)), and so is a far RET or IRET whose CS image
// is one (bt's TC code segment, with RPL 0 and 1). The kernel logs every #GP's error code
// and goes on. Under the monitors (trap on the classic CPU, bt) the log is native's, the run ends
// at the exit port, and the monitor's GDT slots (but for accessed bits), its TSS (but for the
// ring-1 stack it keeps equal to the guest's ring-0 stack) and its IDT are byte for byte
// what they were before the guest ran.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::call_gate;
using hostile::emit32;
using hostile::MonitorTables;
using hostile::segment_descriptor;
using hostile::Where;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kLog = 0x103000;
constexpr uint32_t kGpHandler = 0x104000;
constexpr uint32_t kAttempts = 14;

// Each attempt: mov esi, <after>; <the instruction>; after: (the #GP handler resumes at ESI).
std::vector<uint8_t> program() {
  std::vector<uint8_t> c = {0x0F, 0x01, 0x15};  // lgdt [kGdt + 0x80]
  emit32(c, kGdt + 0x80);
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x88]
  emit32(c, kGdt + 0x88);
  c.insert(c.end(), {0xBC, 0x00, 0x00, 0x09, 0x00,  // mov esp, 0x90000
                     0x31, 0xFF});                  // xor edi, edi
  auto attempt = [&](const std::vector<uint8_t>& insn) { hostile::append_attempt(c, kCode, insn); };
  auto far = [&](uint8_t opcode, uint16_t sel) {
    std::vector<uint8_t> i = {opcode, 0, 0, 0, 0};
    i.push_back(static_cast<uint8_t>(sel));
    i.push_back(static_cast<uint8_t>(sel >> 8));
    return i;
  };
  auto load = [&](uint8_t sreg_modrm, uint16_t sel) {  // mov ax, sel; mov sreg, ax
    return std::vector<uint8_t>{
        0x66, 0xB8, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8), 0x8E, sreg_modrm};
  };
  attempt(far(0x9A, 0xFFF8));  // lcall: the monitor's TSS
  attempt(far(0x9A, 0xFFE9));  // lcall: bt's TC code segment, RPL 1
  attempt(far(0x9A, 0xFFE8));
  attempt(far(0xEA, 0xFFE9));   // ljmp
  attempt(far(0x9A, 0xFFF1));   // lcall: bt's %gs data
  attempt(load(0xC0, 0xFFF8));  // mov es: the monitor's TSS
  // (Loads of bt's own TC code and %gs data selectors into every segment register:
  // modes/binary-translation/tests/monitor_selectors_hostile_test.cpp.)
  attempt(far(0x9A, 0x0018));  // lcall through the gate to 0xFFE8
  attempt(far(0x9A, 0x0020));  // ... to 0xFFF8
  attempt(far(0xEA, 0x0028));  // ljmp through the gate to 0xFFF0
  attempt(far(0x9A, 0x0030));  // lcall through the gate to 0xFFE9 (DPL 1 in the shadow)
  // A far RET and an IRET to the TC code segment, RPL 0 and RPL 1: push the frame first
  // (EFLAGS 2, CS, EIP 0). (ESP is not restored: the handler's IRET keeps it where it is.)
  for (const uint16_t cs : {uint16_t{0xFFE8}, uint16_t{0xFFE9}}) {
    attempt({0x6A, 0x00,                                                           // push 0
             0x68, static_cast<uint8_t>(cs), static_cast<uint8_t>(cs >> 8), 0, 0,  // push cs
             0x6A, 0x00,                                                           // push 0
             0xCB});                                                               // retf
    attempt({0x6A, 0x02, 0x68, static_cast<uint8_t>(cs), static_cast<uint8_t>(cs >> 8), 0, 0, 0x6A,
             0x00, 0xCF});  // push 2; push cs; push 0; iret
  }
  c.insert(c.end(), {0xE6, 0xF4});  // out 0xF4, al
  return c;
}

void prepare(hostile::Run& guest) {
  hostile::write_tables(
      guest, kGdt,
      {0, segment_descriptor(0, 0xFFFFF, 0x9A, 0xC), segment_descriptor(0, 0xFFFFF, 0x92, 0xC),
       call_gate(0xFFE8, 0, 0x8C), call_gate(0xFFF8, 0, 0x8C), call_gate(0xFFF0, 0, 0x8C),
       call_gate(0xFFE9, 0, 0x8C)},
      kGdt + 0x80, kIdt, kGdt + 0x88);
  hostile::write_gp_logger(guest, kIdt, kGpHandler, kLog, kAttempts);
  guest.write(kCode, program());
}

struct Outcome {
  machine::StopReason reason{};
  std::string message;
  uint32_t gp_count = 0;
  std::array<uint32_t, kAttempts> log{};
  MonitorTables before, after;  // under a monitor
};

Outcome run(Where where) {
  hostile::Run guest(where, 100000);
  prepare(guest);
  guest.start(kCode);
  Outcome o;
  if (guest.monitored()) o.before = MonitorTables::of(guest.cpu());
  const auto r = guest.run();
  o.reason = r.reason;
  o.message = r.message;
  o.gp_count = guest.cpu().state().gpr[cpu::EDI];
  for (uint32_t i = 0; i < kAttempts; ++i) o.log[i] = guest.read32(kLog + 4 * i);
  if (guest.monitored()) o.after = MonitorTables::of(guest.cpu());
  return o;
}

TEST(FarGatesHostile, NoFarTransferSegmentLoadOrGateReachesTheMonitorsDescriptors) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  EXPECT_EQ(native.gp_count, kAttempts);  // every attempt is #GP natively
  const std::array<uint32_t, kAttempts> want = {0xFFF8, 0xFFE8, 0xFFE8, 0xFFE8, 0xFFF0,
                                                0xFFF8, 0xFFE8, 0xFFF8, 0xFFF0, 0xFFE8,
                                                0xFFE8, 0xFFE8, 0xFFE8, 0xFFE8};
  EXPECT_EQ(native.log, want);
  for (const Where where : hostile::kMonitors) {
    const char* mode = hostile::name(where);
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.gp_count, native.gp_count) << mode;
    EXPECT_EQ(o.log, native.log) << mode;
    EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots) << mode << ": the monitor's GDT slots changed";
    EXPECT_EQ(o.after.idt, o.before.idt) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.after.tss, o.before.tss) << mode << ": the monitor's TSS changed";
  }
}

}  // namespace
}  // namespace vmlab::modes
