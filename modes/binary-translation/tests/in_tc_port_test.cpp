// `in al, 0x80` emulated in the translation cache (translate_io.cpp, in_tc_port.cpp): the
// POST port's device read still happens on the bus with the same result, no callout and no
// trap, and the profile's in-TC figure is charged as the instruction runs.
#include <gtest/gtest.h>

#include <string>

#include "modes/binary-translation/tests/bt_guest_fixture.h"

namespace vmlab::modes::bt {
namespace {

using vmm::EventKind;

// The tiny-guest fixture under the pentium4 profile (bt.in_tc_port_read = 216).
class InTcPortTest : public BtGuestTest {
 protected:
  void SetUp() override { create("pentium4"); }
};

TEST_F(InTcPortTest, APostPortReadInALoopNeverLeavesTheTranslationCache) {
  // mov eax, 0x12345678; mov ecx, 5; stc; L: in al, 0x80; dec ecx; jnz L; setc bl
  // (DEC keeps CF: the sequence must too.)
  const auto r = run(0x1000, {0xB8, 0x78, 0x56, 0x34, 0x12, 0xB9, 0x05, 0x00, 0x00, 0x00, 0xF9,
                              0xE4, 0x80, 0x49, 0x75, 0xFB, 0x0F, 0x92, 0xC3});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::EBX] & 0xFF, 1u);  // CF survived five reads
  // The exit's `mov al, 0` came after: look at what the reads left above AL instead.
  EXPECT_EQ(g[cpu::EAX] & 0xFFFFFF00u, 0x12345600u);
  // Five reads of the port and the exit port's write: all on the bus, as natively.
  EXPECT_EQ(count(EventKind::port_io), 6u);
  EXPECT_EQ(monitor_->in_tc_counts()[static_cast<size_t>(InTcKind::kInPort)], 5u);
  EXPECT_EQ(count(EventKind::bt_in_tc), 5u);
  EXPECT_EQ(cycles_of(EventKind::bt_in_tc), 5u * 216u);
  // The only emulated instruction is the exit's OUT; no trap at all.
  EXPECT_EQ(count(EventKind::emulated_insn), 1u);
  EXPECT_EQ(count(EventKind::trap), 0u);
}

TEST_F(InTcPortTest, TheReadReturnsWhatTheDeviceReturns) {
  // in al, 0x80; mov bl, al; (the exit overwrites AL)
  const auto r = run(0x1000, {0xE4, 0x80, 0x88, 0xC3});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(state().gpr[cpu::EBX] & 0xFF, 0xFFu);  // the POST card only listens: all ones
}

TEST_F(InTcPortTest, TheCostIsChargedAsTheInstructionRuns) {
  // rdtsc; mov esi, eax; in al, 0x80; rdtsc; sub eax, esi; mov edi, eax
  // RDTSC is IDENT: the guest reads the modeled clock, which must already hold the read's
  // 216 cycles when the next instruction runs (not at the next monitor entry).
  const auto r =
      run(0x1000, {0x0F, 0x31, 0x89, 0xC6, 0xE4, 0x80, 0x0F, 0x31, 0x29, 0xF0, 0x89, 0xC7});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  // Between the two reads of the clock: the first RDTSC's own charge (60, insn.serialize,
  // added as it retires, after it read), mov esi (1), the sequence's two instructions (1
  // each) and the doorbell's 216. The second RDTSC reads before its own charge.
  EXPECT_EQ(state().gpr[cpu::EDI], 60u + 1u + 2u + 216u);
}

TEST_F(InTcPortTest, InFromDxIsReadInTheTcOnlyWhenDxHoldsThePostPort) {
  // mov ecx, 0x11223344; mov dx, 0x80; stc; in al, dx; setc bl; mov dx, 0x61; in al, dx;
  // mov bh, al
  const auto r = run(0x1000, {0xB9, 0x44, 0x33, 0x22, 0x11, 0x66, 0xBA, 0x80, 0x00, 0xF9, 0xEC,
                              0x0F, 0x92, 0xC3, 0x66, 0xBA, 0x61, 0x00, 0xEC, 0x88, 0xC7});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  const auto& g = state().gpr;
  EXPECT_EQ(g[cpu::ECX], 0x11223344u);        // the compare's scratch register is the guest's again
  EXPECT_EQ(g[cpu::EBX] & 0xFF, 1u);          // CF kept
  EXPECT_EQ(count(EventKind::bt_in_tc), 1u);  // port 0x80
  EXPECT_EQ(count(EventKind::emulated_insn), 2u);  // port 0x61 (a callout), and the exit
  EXPECT_EQ(count(EventKind::port_io), 3u);
}

TEST_F(InTcPortTest, OtherPortsAndFormsStillCallOut) {
  // in al, 0x81; out 0x80, al; in ax, 0x80 (16-bit: the port and 0x81)
  const auto r = run(0x1000, {0xE4, 0x81, 0xE6, 0x80, 0x66, 0xE5, 0x80});
  EXPECT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(count(EventKind::bt_in_tc), 0u);
  EXPECT_EQ(count(EventKind::emulated_insn), 4u);  // three and the exit
  EXPECT_EQ(count(EventKind::port_io), 4u);
}

}  // namespace
}  // namespace vmlab::modes::bt
