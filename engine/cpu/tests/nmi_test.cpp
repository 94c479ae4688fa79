// The NMI input (SDM Vol. 3A, 6.7 and 6.7.1): delivered through vector 2 whatever IF says,
// blocked from its delivery until the next IRET (even one that faults), at most one
// pending, held back by the MOV SS shadow, waking HLT; its saved state; and in guest mode
// NMI exiting, virtual-NMI injection and NMI-window exiting (SDM Vol. 3C, 24.6.1, 25.2,
// 25.3, 26.6.1.2).
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

using vmx::ExitReason;

class NmiTest : public SystemTest {
 protected:
  // Places `code` at kCodeBase and points EIP at it, without running.
  void load(std::initializer_list<uint8_t> code) {
    poke(kCodeBase, code);
    st().eip = kCodeBase;
  }
};

TEST_F(NmiTest, TakenWithIfClearThroughVector2AndBlockedUntilIret) {
  st().eflags = flags::kReserved1;  // IF clear
  poke(handler(2), {0x90, 0xCF});   // nop; iret
  load({0x90, 0x90, 0x90, 0x90});
  cpu_.raise_nmi();
  cpu_.run(1);  // the NMI, then the handler's NOP
  EXPECT_EQ(st().eip, handler(2) + 1);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);  // the interrupted instruction's EIP
  EXPECT_TRUE(cpu_.nmi_blocked());
  EXPECT_FALSE(cpu_.nmi_pending());
  cpu_.raise_nmi();  // blocked: it waits ...
  cpu_.raise_nmi();  // ... and this one is lost
  EXPECT_TRUE(cpu_.nmi_pending());
  cpu_.run(1);  // IRET: the waiting NMI is taken before the next instruction
  EXPECT_EQ(st().eip, kCodeBase);
  cpu_.run(1);  // the second NMI and its handler's NOP
  EXPECT_EQ(st().eip, handler(2) + 1);
  EXPECT_TRUE(cpu_.nmi_blocked());
  EXPECT_FALSE(cpu_.nmi_pending());
  cpu_.run(2);  // IRET, then a NOP of the program: no third NMI
  EXPECT_EQ(st().eip, kCodeBase + 1);
  EXPECT_FALSE(cpu_.nmi_blocked());
  EXPECT_FALSE(cpu_.nmi_pending());
}

// SDM Vol. 3C, 27.1: blocking by NMI is cleared even when the IRET faults. (QEMU clears
// it only after a complete IRET.)
TEST_F(NmiTest, AnIretThatFaultsStillEndsTheBlocking) {
  cpu_.set_nmi_blocked(true);
  st().gpr[ESP] = kStack0 - 12;
  poke32(kStack0 - 12, kCodeBase);
  poke32(kStack0 - 8, 0);  // a null CS: #GP(0)
  poke32(kStack0 - 4, flags::kReserved1);
  load({0xCF});
  cpu_.run(1);
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_FALSE(cpu_.nmi_blocked());
}

TEST_F(NmiTest, TheMovSsShadowHoldsItForOneInstruction) {
  st().gpr[EAX] = kData0;
  load({0x8E, 0xD0, 0x90, 0x90});  // mov ss, ax; nop; nop
  cpu_.run(1);
  cpu_.raise_nmi();
  cpu_.run(1);  // the NOP in the shadow retires first
  EXPECT_EQ(st().eip, kCodeBase + 3);
  cpu_.run(1);  // then the NMI (and the handler's HLT)
  EXPECT_EQ(st().eip, halted_in(2));
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase + 3);
}

TEST_F(NmiTest, ItWakesHltWithIfClear) {
  st().eflags = flags::kReserved1;
  load({0xF4, 0x90});  // hlt
  EXPECT_EQ(cpu_.run(5), RunEnd::kHalted);
  cpu_.raise_nmi();
  cpu_.run(1);
  EXPECT_EQ(st().eip, halted_in(2));
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase + 1);  // returns past the HLT
}

TEST_F(NmiTest, SavedStateCarriesItAndAVersion1StateLoadsWithout) {
  cpu_.raise_nmi();
  cpu_.set_nmi_blocked(true);
  ByteWriter w;
  cpu_.save_internal(w);
  std::vector<uint8_t> bytes(w.data().begin(), w.data().end());
  ASSERT_EQ(bytes[0], 3);
  Cpu other(ram_, bus_);
  ByteReader r(bytes);
  ASSERT_TRUE(other.load_internal(r));
  EXPECT_TRUE(other.nmi_pending());
  EXPECT_TRUE(other.nmi_blocked());
  // Version 1 had no NMI fields and no version-3 state (EFER and four PDPTEs, 40 bytes,
  // and the "unrestricted guest" control, one): the 46 bytes at the end are absent.
  std::vector<uint8_t> v1(bytes.begin(), bytes.end() - 46);
  v1[0] = 1;
  ByteReader r1(v1);
  ASSERT_TRUE(other.load_internal(r1));
  EXPECT_TRUE(r1.done());
  EXPECT_FALSE(other.nmi_pending());
  EXPECT_FALSE(other.nmi_blocked());
  v1[0] = 4;  // an unknown version is refused
  ByteReader r3(v1);
  EXPECT_FALSE(other.load_internal(r3));
}

class NmiGuestTest : public NmiTest {
 protected:
  struct Recorder : VmxMonitor {
    void on_vm_exit(const VmExit& exit) override {
      exits.push_back(exit);
      if (on_exit) on_exit(exit);
    }
    std::vector<VmExit> exits;
    std::function<void(const VmExit&)> on_exit;
  };
  NmiGuestTest() { cpu_.set_vmx_monitor(&monitor_); }
  void enter(const VmControls& c) {
    cpu_.vm_controls() = c;
    cpu_.enter_guest_mode();
  }
  Recorder monitor_;
};

TEST_F(NmiGuestTest, NmiExitingExitsWithTypeNmiWhateverTheGuestBlocks) {
  VmControls c;
  c.nmi_exiting = true;
  c.virtual_nmis = true;
  c.exception_bitmap = 1u << 2;  // not an exception: the bitmap does not decide
  enter(c);
  cpu_.set_nmi_blocked(true);  // virtual-NMI blocking does not hold a real NMI back
  load({0x90, 0x90});
  cpu_.raise_nmi();
  cpu_.run(1);
  ASSERT_EQ(monitor_.exits.size(), 1u);
  EXPECT_EQ(monitor_.exits[0].reason, ExitReason::kExceptionOrNmi);
  EXPECT_EQ(monitor_.exits[0].interruption.encoded(), 0x80000202u);
  EXPECT_EQ(monitor_.exits[0].guest_eip, kCodeBase);
  EXPECT_FALSE(cpu_.nmi_pending());
}

TEST_F(NmiGuestTest, AnInjectedNmiBlocksUntilIretAndTheWindowThenExits) {
  VmControls c;
  c.virtual_nmis = true;
  c.injection = {true, vec::NMI, vmx::InterruptionType::kNmi, false, 0};
  enter(c);
  poke(handler(2), {0x90, 0xCF});  // nop; iret
  load({0x90, 0x90, 0x90});
  monitor_.on_exit = [&](const VmExit&) { cpu_.vm_controls().nmi_window_exiting = false; };
  cpu_.run(1);  // entry delivers the NMI, then the handler's NOP
  EXPECT_EQ(st().eip, handler(2) + 1);
  EXPECT_TRUE(cpu_.nmi_blocked());
  cpu_.vm_controls().nmi_window_exiting = true;
  cpu_.run(1);  // blocked: no window before the IRET, which ends the blocking
  EXPECT_TRUE(monitor_.exits.empty());
  EXPECT_EQ(st().eip, kCodeBase);
  EXPECT_FALSE(cpu_.nmi_blocked());
  cpu_.run(1);
  ASSERT_EQ(monitor_.exits.size(), 1u);
  EXPECT_EQ(monitor_.exits[0].reason, ExitReason::kNmiWindow);
  EXPECT_EQ(monitor_.exits[0].guest_eip, kCodeBase);
}

TEST_F(NmiGuestTest, WithoutNmiExitingItGoesThroughTheGuestIdt) {
  enter(VmControls{});
  st().eflags = flags::kReserved1;
  load({0x90});
  cpu_.raise_nmi();
  cpu_.run(1);
  EXPECT_TRUE(monitor_.exits.empty());
  EXPECT_EQ(st().eip, halted_in(2));
  EXPECT_TRUE(cpu_.nmi_blocked());
}

}  // namespace
}  // namespace vmlab::cpu::testing
