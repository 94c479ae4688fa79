// Interrupt and exception delivery (SDM Vol. 3A, 6.10-6.15) and IRET: gates, the TSS stack
// switch, exact frames, the gate DPL check of INT n, error codes with EXT, double and
// triple faults.
#include <vector>

#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

using InterruptTest = SystemTest;

TEST_F(InterruptTest, SameLevelInterruptGateFrameAndIf) {
  st().eflags = flags::kReserved1 | flags::IF | flags::CF;
  EXPECT_EQ(run_code({0xCD, 0x30}, 1), RunEnd::kBudget);  // int 0x30
  EXPECT_EQ(st().eip, handler(0x30));
  EXPECT_EQ(st().gpr[ESP], kStack0 - 12);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase + 2);  // the next instruction
  EXPECT_EQ(peek32(kStack0 - 8), uint32_t{kCode0});
  EXPECT_EQ(peek32(kStack0 - 4), flags::kReserved1 | flags::IF | flags::CF);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::CF);  // interrupt gate: IF cleared
  EXPECT_EQ(st().cpl, 0);
}

TEST_F(InterruptTest, TrapGateKeepsIfAndClearsTf) {
  set_gate(0x31, gate_desc(kCode0, handler(0x31), sys_type::kTrapGate32, 0));
  st().eflags = flags::kReserved1 | flags::IF;
  run_code({0xCD, 0x31}, 1);
  EXPECT_EQ(st().eip, handler(0x31));
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF);
}

TEST_F(InterruptTest, Ring3ToRing0SwitchesToTheTssStack) {
  set_gate(0x80, gate_desc(kCode0, handler(0x80), sys_type::kInterruptGate32, 3));
  enter_cpl(3);
  st().eflags = flags::kReserved1 | flags::IF;
  run_code({0xCD, 0x80}, 1);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_EQ(st().eip, handler(0x80));
  EXPECT_EQ(st().seg[SS].selector, kData0);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 20);
  EXPECT_EQ(peek32(kStack0 - 4), uint32_t{kData3});
  EXPECT_EQ(peek32(kStack0 - 8), kStack3);
  EXPECT_EQ(peek32(kStack0 - 12), flags::kReserved1 | flags::IF);
  EXPECT_EQ(peek32(kStack0 - 16), uint32_t{kCode3});
  EXPECT_EQ(peek32(kStack0 - 20), kCodeBase + 2);
  EXPECT_FALSE(st().eflags & flags::IF);
}

TEST_F(InterruptTest, IretToRing3NullsMorePrivilegedDataSegments) {
  set_gate(0x80, gate_desc(kCode0, handler(0x80), sys_type::kInterruptGate32, 3));
  poke(handler(0x80), {0xCF});  // iret
  enter_cpl(3);
  st().eflags = flags::kReserved1 | flags::IF;
  run_code({0xCD, 0x80}, 1);
  // The handler loads the kernel's DS; ES keeps the user's DPL 3 segment.
  cpu_.load_segment(DS, kData0);
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(st().seg[CS].selector, kCode3);
  EXPECT_EQ(st().seg[SS].selector, kData3);
  EXPECT_EQ(st().gpr[ESP], kStack3);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF);
  EXPECT_FALSE(st().seg[DS].usable);
  EXPECT_EQ(st().seg[DS].selector, 0);
  EXPECT_TRUE(st().seg[ES].usable);
  EXPECT_EQ(st().seg[ES].selector, kData3);
}

TEST_F(InterruptTest, IntFromRing3ThroughDpl0GateIsGp) {
  enter_cpl(3);
  run_code({0xCD, 0x30}, 1);  // the gate has DPL 0
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 24);
  EXPECT_EQ(peek32(kStack0 - 24), 0x30u * 8 + 2);  // IDT bit, EXT = 0
  EXPECT_EQ(peek32(kStack0 - 20), kCodeBase);      // the INT instruction restarts
  EXPECT_EQ(peek32(kStack0 - 16), uint32_t{kCode3});
}

TEST_F(InterruptTest, Int3ThroughDpl3GatePushesNextEip) {
  set_gate(vec::BP, gate_desc(kCode0, handler(vec::BP), sys_type::kTrapGate32, 3));
  enter_cpl(3);
  run_code({0xCC}, 1);
  EXPECT_EQ(st().eip, handler(vec::BP));
  EXPECT_EQ(peek32(kStack0 - 20), kCodeBase + 1);
}

TEST_F(InterruptTest, ExceptionFromRing3PushesErrorCodeAndFaultingEip) {
  enter_cpl(3);
  run_code({0xFA}, 1);  // cli at CPL 3, IOPL 0
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(st().gpr[ESP], kStack0 - 24);
  EXPECT_EQ(peek32(kStack0 - 24), 0u);
  EXPECT_EQ(peek32(kStack0 - 20), kCodeBase);
}

TEST_F(InterruptTest, NotPresentGateIsNp) {
  set_gate(0x40, gate_desc(kCode0, handler(0x40), sys_type::kInterruptGate32, 0, false));
  run_code({0xCD, 0x40}, 1);
  EXPECT_EQ(st().eip, halted_in(vec::NP));
  EXPECT_EQ(peek32(kStack0 - 16), 0x40u * 8 + 2);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);
}

TEST_F(InterruptTest, VectorBeyondIdtLimitIsGp) {
  st().idtr.limit = 0x30 * 8 + 6;  // one byte short of gate 0x30
  run_code({0xCD, 0x30}, 1);
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(peek32(kStack0 - 16), 0x30u * 8 + 2);
}

TEST_F(InterruptTest, ExternalInterruptIsDeliveredAtTheBoundary) {
  poke(handler(0x20), {0x90});
  st().eflags = flags::kReserved1 | flags::IF;
  bus_.pending_vector = 0x20;
  run_code({0x90}, 1);
  EXPECT_EQ(st().eip, handler(0x20) + 1);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);
  EXPECT_EQ(bus_.pending_vector, -1);
}

TEST_F(InterruptTest, ExternalInterruptThroughBadGateSetsExt) {
  set_gate(0x20, gate_desc(kCode0, handler(0x20), sys_type::kInterruptGate32, 0, false));
  st().eflags = flags::kReserved1 | flags::IF;
  bus_.pending_vector = 0x20;
  poke(handler(vec::NP), {0x90});
  run_code({0x90}, 1);
  EXPECT_EQ(st().eip, handler(vec::NP) + 1);
  EXPECT_EQ(peek32(kStack0 - 16), 0x20u * 8 + 2 + 1);
}

// Disabled until the run loop honours the shadow: Cpu::service_events sets check_events_
// in the shadow case, so the one-instruction slice in Cpu::run never executes and the
// interrupt is taken right after STI (see the report for the cpu.cpp fix).
TEST_F(InterruptTest, StiShadowDelaysTheInterruptByOneInstruction) {
  poke(handler(0x20), {0x90});
  bus_.pending_vector = 0x20;
  // sti; nop; nop
  EXPECT_EQ(run_code({0xFB, 0x90, 0x90}, 2), RunEnd::kBudget);
  EXPECT_EQ(st().eip, kCodeBase + 2);  // sti and the nop after it ran
  EXPECT_EQ(bus_.pending_vector, 0x20);
  cpu_.run(1);
  EXPECT_EQ(st().eip, handler(0x20) + 1);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase + 2);
}

TEST_F(InterruptTest, BenignExceptionThenNpDeliversTheNp) {
  set_gate(vec::UD, gate_desc(kCode0, handler(vec::UD), sys_type::kInterruptGate32, 0, false));
  run_code({0x0F, 0x0B}, 1);  // ud2
  EXPECT_EQ(st().eip, halted_in(vec::NP));
  EXPECT_EQ(peek32(kStack0 - 16), vec::UD * 8u + 2 + 1);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);
}

TEST_F(InterruptTest, GpWhileDeliveringNpIsDoubleFault) {
  // The #NP handler's code selector lies beyond the GDT limit: delivering #NP raises
  // #GP(selector + EXT), contributory on contributory: #DF with error code 0.
  set_gate(vec::NP, gate_desc(0x1F8, handler(vec::NP), sys_type::kInterruptGate32, 0));
  st().gpr[EAX] = kNotPresent;
  run_code({0x8E, 0xD8}, 1);  // mov ds, ax -> #NP(0x58)
  EXPECT_EQ(st().eip, halted_in(vec::DF));
  EXPECT_EQ(st().gpr[ESP], kStack0 - 16);
  EXPECT_EQ(peek32(kStack0 - 16), 0u);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);
  EXPECT_FALSE(cpu_.is_shut_down());
}

TEST_F(InterruptTest, FaultWhileDeliveringDoubleFaultShutsDown) {
  set_gate(vec::NP, gate_desc(0x1F8, handler(vec::NP), sys_type::kInterruptGate32, 0));
  set_gate(vec::DF, gate_desc(kCode0, handler(vec::DF), sys_type::kInterruptGate32, 0, false));
  st().gpr[EAX] = kNotPresent;
  EXPECT_EQ(run_code({0x8E, 0xD8}, 10), RunEnd::kTripleFault);
  EXPECT_TRUE(cpu_.is_shut_down());
  EXPECT_EQ(cpu_.stop_message(),
            "triple fault: #NP(0058) -> #GP(01F9) -> #DF(0000) -> #NP(0043) at CS:EIP "
            "0008:00001000 (CPL 0, IDTR base 00011000 limit 07FF)");
  EXPECT_EQ(cpu_.run(10), RunEnd::kTripleFault);  // stays shut down
}

TEST_F(InterruptTest, BadTssStackIsTsDeliveredThroughAConformingHandler) {
  // SS0 in the TSS names a DPL 3 segment: #TS(SS0) while switching to ring 0. The #TS gate
  // leads to conforming code, so #TS itself is delivered at CPL 3 on the user stack.
  poke32(kTss + 8, kData3);
  set_gate(vec::TS, gate_desc(kConforming, handler(vec::TS), sys_type::kInterruptGate32, 0));
  poke(handler(vec::TS), {0x90});
  set_gate(0x80, gate_desc(kCode0, handler(0x80), sys_type::kInterruptGate32, 3));
  enter_cpl(3);
  run_code({0xCD, 0x80}, 1);
  EXPECT_EQ(st().eip, handler(vec::TS) + 1);  // the NOP there ran
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().seg[CS].selector, kConforming | 3);
  EXPECT_EQ(st().gpr[ESP], kStack3 - 16);
  EXPECT_EQ(peek32(kStack3 - 16), uint32_t{kData3 & ~3});  // EXT = 0: INT n caused it
  EXPECT_EQ(peek32(kStack3 - 12), kCodeBase);
}

TEST_F(InterruptTest, InnerStackWithoutRoomIsSsOfTheNewStack) {
  // SS0:ESP0 = kSmallData:0x10 leaves 16 bytes; the ring-0 frame needs 20.
  poke32(kTss + 4, 0x10);
  poke32(kTss + 8, kSmallData);
  set_gate(vec::SS, gate_desc(kConforming, handler(vec::SS), sys_type::kInterruptGate32, 0));
  poke(handler(vec::SS), {0x90});
  set_gate(0x80, gate_desc(kCode0, handler(0x80), sys_type::kInterruptGate32, 3));
  enter_cpl(3);
  run_code({0xCD, 0x80}, 1);
  EXPECT_EQ(st().eip, handler(vec::SS) + 1);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().gpr[ESP], kStack3 - 16);
  EXPECT_EQ(peek32(kStack3 - 16), uint32_t{kSmallData});
  EXPECT_EQ(peek32(kStack3 - 12), kCodeBase);
  EXPECT_EQ(peek32(0x30000), 0u);  // nothing was written on the small stack
}

TEST_F(InterruptTest, SixteenBitGatePushesWords) {
  set_gate(0x50, gate_desc(kCode0, 0x4321, sys_type::kInterruptGate16, 0));
  run_code({0xCD, 0x50}, 1);
  EXPECT_EQ(st().eip, 0x4321u);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 6);
  EXPECT_EQ(peek16(kStack0 - 6), kCodeBase + 2);
  EXPECT_EQ(peek16(kStack0 - 4), kCode0);
  EXPECT_EQ(peek16(kStack0 - 2), flags::kReserved1);
}

TEST_F(InterruptTest, TaskGateChecksBeforeTheSwitch) {
  // INT n pseudo-code, "TASK-GATE" (issue 12, item 5): the gate DPL check, then the TSS it
  // names must be an available TSS in the GDT. Software INT: EXT is 0.
  set_gate(0x30, gate_desc(kTssSel, 0, sys_type::kTaskGate, 0));
  enter_cpl(3);
  run_code({0xCD, 0x30}, 1);  // DPL 0 gate from ring 3: #GP(IDT vector 0x30)
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(peek32(kStack0 - 24), 0x30u * 8 + 2);
  enter_cpl(0);
  st().halted = false;
  run_code({0xCD, 0x30}, 1);  // the running task's TSS is busy: #GP(TSS selector)
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(peek32(kStack0 - 16), uint32_t{kTssSel});
  // An external interrupt through a gate to a not-present TSS: #NP(TSS selector | EXT).
  set_gdt(kFree, seg_desc(0x14000, 0x67, sys_type::kTss32Available, 0, false, false));
  set_gate(0x30, gate_desc(kFree, 0, sys_type::kTaskGate, 0));
  enter_cpl(0);
  st().halted = false;
  st().eip = kCodeBase;
  cpu_.deliver_interrupt(0x30, EventSource::kExternal, false, 0);
  EXPECT_EQ(st().eip, handler(vec::NP));
  EXPECT_EQ(peek32(kStack0 - 16), uint32_t{kFree} | 1);
  // Every check passed: the switch itself (task_switch_test.cpp).
}

TEST_F(InterruptTest, IretAtCpl1WithIopl0SilentlyKeepsIfAndIopl) {
  enter_cpl(1);
  st().eflags = flags::kReserved1 | flags::IF;
  const uint32_t esp = kStack1 - 12;
  poke32(esp, 0x1234);
  poke32(esp + 4, kCode1);
  poke32(esp + 8, flags::kReserved1 | flags::CF | (3u << flags::IOPL_SHIFT));  // IF = 0
  st().gpr[ESP] = esp;
  EXPECT_EQ(fault_text(exec({0xCF})), "none");
  EXPECT_EQ(st().eip, 0x1234u);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF | flags::CF);
  EXPECT_EQ(st().gpr[ESP], kStack1);
}

// The dropped IOPL and IF of an IRET at CPL > 0 are what a deprivileged kernel cannot see
// (the classic CPU's Popek-Goldberg hole): reported as sensitive when, and only when,
// something of the image was dropped.
TEST_F(InterruptTest, IretThatDropsIoplOrIfIsReportedAsSensitive) {
  struct Sensitive final : CpuObserver {
    void on_sensitive(uint16_t opcode, uint8_t) override { seen.push_back(opcode); }
    std::vector<uint16_t> seen;
  } observer;
  cpu_.set_observer(&observer);
  for (const bool drops : {true, false}) {
    enter_cpl(1);
    st().eflags = flags::kReserved1 | flags::IF;
    const uint32_t esp = kStack1 - 12;
    poke32(esp, 0x1234);
    poke32(esp + 4, kCode1);
    // IOPL 3 asked for (dropped), or the flags as they are (nothing to drop).
    poke32(esp + 8, flags::kReserved1 | flags::IF | (drops ? 3u << flags::IOPL_SHIFT : 0u));
    st().gpr[ESP] = esp;
    EXPECT_EQ(fault_text(exec({0xCF})), "none");
    EXPECT_EQ(st().eflags & flags::IOPL, 0u);
    EXPECT_EQ(observer.seen, drops ? std::vector<uint16_t>{0xCF} : std::vector<uint16_t>{});
    observer.seen.clear();
  }
  cpu_.set_observer(nullptr);
}

TEST_F(InterruptTest, IretToMorePrivilegedLevelIsGp) {
  enter_cpl(3);
  const uint32_t esp = kStack3 - 12;
  poke32(esp, 0x1234);
  poke32(esp + 4, kCode0);
  poke32(esp + 8, flags::kReserved1);
  st().gpr[ESP] = esp;
  EXPECT_EQ(fault_text(exec({0xCF})), fault_text(vec::GP, kCode0));
}

TEST_F(InterruptTest, HltAtCpl3IsGpAndAtCpl0Halts) {
  enter_cpl(3);
  EXPECT_EQ(fault_text(exec({0xF4})), fault_text(vec::GP, 0));
  enter_cpl(0);
  EXPECT_EQ(run_code({0xF4}, 5), RunEnd::kHalted);
  EXPECT_EQ(st().eip, kCodeBase + 1);
  EXPECT_TRUE(st().halted);
  // An interrupt wakes it; the saved EIP is after the HLT.
  st().eflags |= flags::IF;
  poke(handler(0x21), {0x90});
  bus_.pending_vector = 0x21;
  cpu_.notify_interrupt_line();
  cpu_.run(1);
  EXPECT_FALSE(st().halted);
  EXPECT_EQ(st().eip, handler(0x21) + 1);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase + 1);
}

}  // namespace
}  // namespace vmlab::cpu::testing
