// Real-address mode (real_mode.cpp): segment loads that keep the cached limit, the
// interrupt vector table and its limit, the 6-byte frame, IRET, far CALL/JMP/RET, the
// instructions that are #UD there, and the way back to protected mode.
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

class RealModeTest : public SystemTest {
 protected:
  static constexpr uint32_t kRealStack = 0x7000;

  // The state right after a kernel cleared PE through a 16-bit protected-mode segment
  // (SDM Vol. 3A, 9.9.2): 16-bit caches with 64 KiB limits, base 0, CPL 0, the IVT at 0.
  void enter_real_mode() {
    CpuState& s = st();
    for (uint8_t r = 0; r < kNumSegRegs; ++r) {
      SegmentCache& sc = s.seg[r];
      sc = SegmentCache{};
      sc.type = r == CS ? 0xB : 0x3;
      sc.limit = 0xFFFF;
    }
    s.gpr[ESP] = kRealStack;
    s.halted = false;
    cpu_.write_cr0(cr0::ET);
    s.idtr = TableRegister{0, 0x3FF};
  }
  // Vector v of the IVT leads to segment:offset, where a HLT waits.
  void set_vector(unsigned v, uint16_t segment, uint16_t offset) {
    ram_[4 * v] = static_cast<uint8_t>(offset);
    ram_[4 * v + 1] = static_cast<uint8_t>(offset >> 8);
    ram_[4 * v + 2] = static_cast<uint8_t>(segment);
    ram_[4 * v + 3] = static_cast<uint8_t>(segment >> 8);
    ram_[(uint32_t{segment} << 4) + offset] = 0xF4;
    cpu_.notify_phys_write(0, static_cast<uint32_t>(ram_.size()));
  }
  uint16_t stack16(unsigned i) { return peek16(st().seg[SS].base + st().gpr[ESP] + 2 * i); }
};

TEST_F(RealModeTest, ClearingPeEntersRealModeAndKeepsRunning) {
  // mov eax, cr0 (PE set); and eax, ~1 as 83 E0 FE; mov cr0, eax; then nop.
  enter_cpl(0);
  st().seg[CS].db = true;
  EXPECT_EQ(run_code({0x0F, 0x20, 0xC0, 0x83, 0xE0, 0xFE, 0x0F, 0x22, 0xC0, 0x90}, 4),
            RunEnd::kBudget);
  EXPECT_FALSE(st().protected_mode());
  EXPECT_EQ(st().eip, kCodeBase + 10);
  EXPECT_EQ(st().cpl, 0);
}

TEST_F(RealModeTest, PagingWithoutPeIsGp) {
  enter_real_mode();
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::PG | cr0::ET); })),
            fault_text(vec::GP, 0));
}

TEST_F(RealModeTest, SegmentLoadChangesSelectorAndBaseOnly) {
  enter_real_mode();
  st().seg[DS].limit = 0xFFFFFFFFu;  // a 4 GiB limit from protected mode: unreal mode
  st().seg[DS].g = true;
  // mov ax, 0x1234; mov ds, ax; mov al, [ebx] with ebx = 0x100000 (67 8A 03).
  st().gpr[EBX] = 0x100000;
  ram_[0x12340 + 0x100000] = 0x5A;
  EXPECT_EQ(run_code({0xB8, 0x34, 0x12, 0x8E, 0xD8, 0x67, 0x8A, 0x03}, 3), RunEnd::kBudget);
  EXPECT_EQ(st().seg[DS].selector, 0x1234);
  EXPECT_EQ(st().seg[DS].base, 0x12340u);
  EXPECT_EQ(st().seg[DS].limit, 0xFFFFFFFFu);
  EXPECT_EQ(st().seg[DS].type, 0x3);
  EXPECT_EQ(st().gpr[EAX] & 0xFF, 0x5Au);
}

TEST_F(RealModeTest, BeyondTheLimitIsGpThroughTheIvtWithoutErrorCode) {
  enter_real_mode();
  set_vector(vec::GP, 0x0050, 0x0000);  // handler at 0x500
  st().gpr[EBX] = 0x10000;
  // mov al, [ebx] (67 8A 03): offset 0x10000 is beyond the 64 KiB limit.
  EXPECT_EQ(run_code({0x67, 0x8A, 0x03}, 2), RunEnd::kHalted);
  EXPECT_EQ(st().seg[CS].selector, 0x0050);
  EXPECT_EQ(st().seg[CS].base, 0x500u);
  EXPECT_EQ(st().eip, 1u);
  // IP, CS, FLAGS: three words, no error code; IP is the faulting instruction.
  EXPECT_EQ(st().gpr[ESP], kRealStack - 6);
  EXPECT_EQ(stack16(0), kCodeBase);
  EXPECT_EQ(stack16(1), 0);
  EXPECT_EQ(stack16(2), flags::kReserved1);
}

TEST_F(RealModeTest, StackBeyondTheLimitIsSs) {
  enter_real_mode();
  set_vector(vec::SS, 0x0060, 0x0000);
  st().seg[SS].base = 0x8000;
  st().seg[SS].limit = 0x0FFF;
  st().gpr[ESP] = 0x2000;
  // push ax: SP - 2 = 0x1FFE is beyond SS's limit of 0xFFF.
  EXPECT_EQ(fault_text(exec({0x50})), fault_text(vec::SS, 0));
}

TEST_F(RealModeTest, CodeMayWriteThroughCs) {
  enter_real_mode();
  st().gpr[EAX] = 0x77;
  // mov [cs:0x300], al (2E A2 00 03): CS holds a code segment's attributes.
  EXPECT_EQ(run_code({0x2E, 0xA2, 0x00, 0x03}, 1), RunEnd::kBudget);
  EXPECT_EQ(ram_[0x300], 0x77);
}

TEST_F(RealModeTest, IntNPushesFlagsCsIpAndIretReturns) {
  enter_real_mode();
  set_vector(0x21, 0x0700, 0x0010);  // handler at 0x7010
  ram_[0x7010] = 0xCF;               // iret
  st().eflags |= flags::IF | flags::CF;
  cpu_.notify_phys_write(0, static_cast<uint32_t>(ram_.size()));
  // int 0x21, then nop.
  EXPECT_EQ(run_code({0xCD, 0x21, 0x90}, 1), RunEnd::kBudget);
  EXPECT_EQ(st().seg[CS].selector, 0x0700);
  EXPECT_EQ(st().eip, 0x10u);
  EXPECT_EQ(st().eflags & flags::IF, 0u);
  EXPECT_EQ(stack16(0), kCodeBase + 2);
  EXPECT_EQ(stack16(1), 0);
  EXPECT_EQ(stack16(2), flags::kReserved1 | flags::IF | flags::CF);
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);  // iret
  EXPECT_EQ(st().seg[CS].selector, 0);
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(st().gpr[ESP], kRealStack);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF | flags::CF);
}

TEST_F(RealModeTest, ExternalInterruptThroughTheIvt) {
  enter_real_mode();
  set_vector(0x08, 0x0080, 0x0004);
  st().eflags |= flags::IF;
  bus_.pending_vector = 0x08;
  cpu_.notify_interrupt_line();
  EXPECT_EQ(run_code({0x90, 0x90}, 3), RunEnd::kHalted);
  EXPECT_EQ(st().seg[CS].base, 0x800u);
  EXPECT_EQ(st().eip, 5u);
  EXPECT_EQ(stack16(0), kCodeBase);
}

TEST_F(RealModeTest, VectorBeyondTheIvtLimitIsGpThenDfThenShutdown) {
  enter_real_mode();
  set_vector(vec::GP, 0x0050, 0x0000);
  set_vector(vec::DF, 0x0040, 0x0000);
  // 0x30 * 4 + 3 is beyond a limit of 0x3F; #GP's entry (13 * 4 + 3 = 0x37) is within.
  st().idtr.limit = 0x3F;
  EXPECT_EQ(run_code({0xCD, 0x30}, 2), RunEnd::kHalted);
  EXPECT_EQ(st().seg[CS].selector, 0x0050);
  EXPECT_EQ(stack16(0), kCodeBase);  // the INT instruction, restarted after the handler
  // #GP beyond the limit too (0x37 > 0x27): a double fault, whose entry (0x23) is within.
  enter_real_mode();
  st().idtr.limit = 0x27;
  EXPECT_EQ(run_code({0xCD, 0x30}, 2), RunEnd::kHalted);
  EXPECT_EQ(st().seg[CS].selector, 0x0040);
  EXPECT_EQ(st().gpr[ESP], kRealStack - 6);  // no error code for #DF either
  // Neither fits (#DF's 0x23 > 0x1F): shutdown.
  enter_real_mode();
  st().idtr.limit = 0x1F;
  EXPECT_EQ(run_code({0xCD, 0x30}, 2), RunEnd::kTripleFault);
}

TEST_F(RealModeTest, FarCallAndReturn) {
  enter_real_mode();
  ram_[0x2005] = 0xCB;  // retf at 0x0200:0x0005
  // call 0x0200:0x0005 (9A 05 00 00 02), then nop.
  EXPECT_EQ(run_code({0x9A, 0x05, 0x00, 0x00, 0x02, 0x90}, 1), RunEnd::kBudget);
  EXPECT_EQ(st().seg[CS].selector, 0x0200);
  EXPECT_EQ(st().seg[CS].base, 0x2000u);
  EXPECT_EQ(st().seg[CS].limit, 0xFFFFu);
  EXPECT_EQ(st().eip, 5u);
  EXPECT_EQ(stack16(0), kCodeBase + 5);
  EXPECT_EQ(stack16(1), 0);
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);
  EXPECT_EQ(st().seg[CS].selector, 0);
  EXPECT_EQ(st().eip, kCodeBase + 5);
  EXPECT_EQ(st().gpr[ESP], kRealStack);
  // A far JMP beyond the CS limit is #GP(0) (66 EA: ptr16:32 with offset 0x10000).
  // The fault is thrown with an error code; its delivery in real mode drops it.
  EXPECT_EQ(fault_text(exec({0x66, 0xEA, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00})),
            fault_text(vec::GP, 0));
}

TEST_F(RealModeTest, ProtectedModeOnlyInstructionsAreUd) {
  enter_real_mode();
  const std::string ud = fault_text(vec::UD);
  EXPECT_EQ(fault_text(exec({0x0F, 0x02, 0xC3})), ud);  // lar ax, bx
  EXPECT_EQ(fault_text(exec({0x0F, 0x03, 0xC3})), ud);  // lsl ax, bx
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xE0})), ud);  // verr ax
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xE8})), ud);  // verw ax
  EXPECT_EQ(fault_text(exec({0x63, 0xC3})), ud);        // arpl bx, ax
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD0})), ud);  // lldt ax
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xC0})), ud);  // sldt ax
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xD8})), ud);  // ltr ax
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xC8})), ud);  // str ax
  // IN, OUT, CLI, STI and HLT need no privilege: CPL is 0.
  set_iopl(0);
  EXPECT_EQ(fault_text(exec({0xFA})), "none");
  EXPECT_EQ(fault_text(exec({0xE6, 0x80})), "none");
}

TEST_F(RealModeTest, SettingPeAndAFarJumpReturnToProtectedMode) {
  enter_real_mode();
  // mov eax, cr0; or al, 1; mov cr0, eax; jmp 0x08:0x00005000 (66 EA ptr16:32).
  EXPECT_EQ(run_code({0x66, 0x0F, 0x20, 0xC0, 0x0C, 0x01, 0x66, 0x0F, 0x22, 0xC0, 0x66, 0xEA, 0x00,
                      0x50, 0x00, 0x00, 0x08, 0x00},
                     4),
            RunEnd::kBudget);
  EXPECT_TRUE(st().protected_mode());
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_TRUE(st().seg[CS].db);
  EXPECT_EQ(st().seg[CS].limit, 0xFFFFFFFFu);
  EXPECT_EQ(st().eip, 0x5000u);
}

TEST_F(RealModeTest, GuestModeNeedsUnrestrictedGuestAndEpt) {
  cpu_.enter_guest_mode();
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::ET); })), fault_text(vec::GP, 0));
  cpu_.vm_controls().unrestricted_guest = true;  // without "enable EPT": no effect
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::ET); })), fault_text(vec::GP, 0));
  cpu_.vm_controls().nested_paging = true;
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::ET); })), "none");
  EXPECT_FALSE(st().protected_mode());
  cpu_.vm_controls().nested_paging = false;
  cpu_.leave_guest_mode();
}

}  // namespace
}  // namespace vmlab::cpu::testing
