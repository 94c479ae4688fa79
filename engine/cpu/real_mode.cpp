// Real-address mode: what the processor does with CR0.PE clear.
//
// SDM Vol. 1, chapter 20 ("8086 Emulation": 20.1 real-address mode, 20.1.1 address
// translation, 20.1.4 interrupt and exception handling); Vol. 3A, 9.9.2 (switching back to
// real mode, and what the segment caches keep); Vol. 2, the "Real-Address Mode" branches
// of the MOV, JMP, CALL, RET, IRET and INT n pseudo-code.
//
// The rules the model follows, all from those pages:
//  - A segment load (MOV, POP, LDS..., a far transfer's CS) writes the selector and the
//    base, selector << 4, and nothing else: the limit, the type and the D/B bit stay what
//    the last protected-mode load left in the hidden cache. That is "unreal mode": a data
//    segment given a 4 GiB limit in protected mode keeps it after the return. QEMU's
//    real-mode segment load (translate.c, gen_op_movl_seg_T0_vm) does the same.
//  - Accesses are checked against the cached limit (#GP, or #SS for SS, with no error
//    code), but not against the type: code in real mode writes through CS (memory.cpp).
//  - There is no privilege: CPL is 0, and the privilege checks of IN/OUT, CLI/STI, HLT and
//    MOV CRn pass.
//  - Interrupts and exceptions go through the interrupt vector table at IDTR.base: four
//    bytes a vector, offset then segment. A vector whose entry lies beyond IDTR.limit is
//    #GP; a #GP that cannot be delivered either becomes #DF, and a #DF that cannot be
//    delivered shuts the processor down (Vol. 3A, 20.1.4 and 6.15; interrupts.cpp does
//    the escalation as it does for protected mode). The frame is FLAGS, CS and IP, 16 bits
//    each; no error code is ever pushed.
//  - The descriptor-table instructions that need protected mode (LAR, LSL, VERR, VERW,
//    ARPL, LLDT, SLDT, LTR, STR) are #UD (Vol. 2, their "Real-Address Mode Exceptions"),
//    in exec_segment.cpp and exec_system.cpp.
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

namespace {

// The stack offset `delta` bytes above the stack pointer, wrapped at 64 KiB on a 16-bit
// stack (the cached B bit decides, as in protected mode).
uint32_t stack_offset(const CpuState& s, uint32_t delta) {
  const uint32_t sp = s.gpr[ESP] + delta;
  return s.seg[SS].db ? sp : sp & 0xFFFFu;
}

uint32_t pop_at(Cpu& cpu, uint32_t delta, unsigned width) {
  const uint32_t off = stack_offset(cpu.state(), delta);
  return width == 4 ? cpu.read32(SS, off) : cpu.read16(SS, off);
}

void move_stack_pointer(CpuState& s, uint32_t bytes) {
  s.gpr[ESP] = s.seg[SS].stack_moved(s.gpr[ESP], static_cast<int32_t>(bytes));
}

}  // namespace

void Cpu::real_mode_load_segment(uint8_t sreg, uint16_t selector) {
  SegmentCache& sc = s_.seg[sreg];
  sc.selector = selector;
  sc.base = uint32_t{selector} << 4;
  // A null selector loaded in protected mode left the register unusable; in real mode
  // every value is a paragraph number and the register is usable again.
  sc.usable = true;
}

void Cpu::real_mode_far_jump(uint16_t selector, uint32_t offset, bool o16) {
  // JMP pseudo-code, real-address mode: "IF tempEIP is beyond code segment limit THEN
  // #GP(0)" (the limit of the CS cache, which the jump does not change).
  const uint32_t eip = o16 ? offset & 0xFFFFu : offset;
  if (eip > s_.seg[CS].limit) fault_gp(0);
  real_mode_load_segment(CS, selector);
  s_.eip = eip;
}

void Cpu::real_mode_far_call(uint16_t selector, uint32_t offset, bool o16) {
  const uint32_t eip = o16 ? offset & 0xFFFFu : offset;
  if (eip > s_.seg[CS].limit) fault_gp(0);
  const uint32_t frame[] = {s_.seg[CS].selector, s_.eip};
  const uint32_t esp = push_frame(s_.seg[SS], s_.gpr[ESP], frame, 2, o16 ? 2 : 4, true, 0);
  s_.gpr[ESP] = esp;
  real_mode_load_segment(CS, selector);
  s_.eip = eip;
}

void Cpu::real_mode_far_return(uint16_t release_bytes, bool o16) {
  const unsigned w = o16 ? 2 : 4;
  const uint32_t eip = pop_at(*this, 0, w);
  const auto cs_sel = static_cast<uint16_t>(pop_at(*this, w, 2));
  if (eip > s_.seg[CS].limit) fault_gp(0);
  real_mode_load_segment(CS, cs_sel);
  s_.eip = eip;
  move_stack_pointer(s_, 2 * w + release_bytes);
}

void Cpu::real_mode_interrupt_return(bool o16) {
  // IRET pseudo-code, real-address mode. NT means nothing here: there are no tasks.
  const unsigned w = o16 ? 2 : 4;
  const uint32_t eip = pop_at(*this, 0, w);
  const auto cs_sel = static_cast<uint16_t>(pop_at(*this, w, 2));
  const uint32_t popped = pop_at(*this, 2 * w, w);
  if (eip > s_.seg[CS].limit) fault_gp(0);
  // "EFLAGS <- (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H)" with a 32-bit operand:
  // VM, VIF and VIP are kept; a 16-bit IRET writes FLAGS, the low word, alone.
  const uint32_t mask = o16 ? 0xFFFFu : 0x257FD5u;
  real_mode_load_segment(CS, cs_sel);
  s_.eip = eip;
  move_stack_pointer(s_, 3 * w);
  set_eflags((s_.eflags & ~mask) | (popped & mask));
}

void Cpu::real_mode_deliver(uint8_t vector) {
  // INT n pseudo-code, real-address mode: the vector's four bytes within the IVT limit,
  // else #GP; room for the 6-byte frame on the stack, else #SS; then the pushes.
  const uint32_t entry = uint32_t{vector} * 4;
  if (entry + 3 > s_.idtr.limit) fault_gp(0);
  const uint16_t offset = lin_read16(s_.idtr.base + entry, true);
  const uint16_t segment = lin_read16(s_.idtr.base + entry + 2, true);
  const uint32_t frame[] = {s_.eflags & 0xFFFFu, s_.seg[CS].selector, s_.eip & 0xFFFFu};
  const uint32_t esp = push_frame(s_.seg[SS], s_.gpr[ESP], frame, 3, 2, true, 0);
  s_.gpr[ESP] = esp;
  real_mode_load_segment(CS, segment);
  s_.eip = offset;
  // IF, TF, AC and RF are cleared for the handler (QEMU's do_interrupt_real clears the
  // same four; the SDM's pseudo-code names IF, TF and AC).
  set_eflags(s_.eflags & ~(flags::IF | flags::TF | flags::AC | flags::RF));
  s_.halted = false;
}

}  // namespace vmlab::cpu
