// Near control transfers: JMP Jcc CALL RET LOOP LOOPE LOOPNE JCXZ/JECXZ (SDM Vol. 1,
// 6.3 and 7.3.8; Vol. 2A "CALL", "Jcc", "JMP", "LOOP/LOOPcc"; Vol. 2B "RET"). Far forms
// (through a selector, a call gate or a task) belong to exec_segment.cpp.
//
// Every near transfer truncates the target to 16 bits with a 16-bit operand size and
// raises #GP(0) when the target lies beyond the CS limit, before anything changes: the
// faulting EIP is the branch itself, not the target (SDM Vol. 2A, JMP, "Protected Mode
// Exceptions").
#include <cstdint>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

inline uint32_t checked_target(Cpu& cpu, const Insn& insn, uint32_t target) {
  if (insn.o16()) target &= 0xFFFF;
  if (target > cpu.state().seg[CS].limit) cpu.fault_gp(0);
  return target;
}

// The decoder sign-extends rel8/rel16/rel32 into imm; EIP already points past the
// instruction, which is what the displacement is relative to.
inline uint32_t relative_target(const Cpu& cpu, const Insn& insn) {
  return cpu.state().eip + insn.imm;
}

void jmp_rel(Cpu& cpu, const Insn& insn) {  // EB, E9
  cpu.state().eip = checked_target(cpu, insn, relative_target(cpu, insn));
}

template <unsigned CC>
void jcc(Cpu& cpu, const Insn& insn) {  // 70-7F, 0F 80-8F
  if (condition_holds(cpu.state().eflags, CC)) {
    cpu.state().eip = checked_target(cpu, insn, relative_target(cpu, insn));
  }
}

void jmp_rm(Cpu& cpu, const Insn& insn) {  // FF /4
  cpu.state().eip = checked_target(cpu, insn, read_rmv(cpu, insn));
}

// CALL pushes the address of the next instruction. A fault on the push leaves ESP alone
// (Cpu::push32), so it too restarts cleanly.
void call_rel(Cpu& cpu, const Insn& insn) {  // E8
  const uint32_t target = checked_target(cpu, insn, relative_target(cpu, insn));
  pushv(cpu, insn, cpu.state().eip);
  cpu.state().eip = target;
}

void call_rm(Cpu& cpu, const Insn& insn) {  // FF /2
  const uint32_t target = checked_target(cpu, insn, read_rmv(cpu, insn));
  pushv(cpu, insn, cpu.state().eip);
  cpu.state().eip = target;
}

// RET and RET imm16 (C3, C2): the return address is read and checked before ESP moves;
// imm16 more bytes are then released (SDM Vol. 2B, RET).
void ret_near(Cpu& cpu, const Insn& insn) {
  const uint32_t mask = stack_mask(cpu);
  const uint32_t sp = stack_pointer(cpu);
  const uint32_t size = insn.o16() ? 2 : 4;
  const uint32_t ret = insn.o16() ? cpu.read16(SS, sp) : cpu.read32(SS, sp);
  const uint32_t target = checked_target(cpu, insn, ret);
  const uint32_t release = insn.op == 0xC2 ? (insn.imm & 0xFFFF) : 0;
  set_stack_pointer(cpu, (sp + size + release) & mask);
  cpu.state().eip = target;
}

// LOOP (E2), LOOPE (E1), LOOPNE (E0): decrement the count register (CX with a 16-bit
// address size, else ECX) without touching the flags, and branch while it is not zero
// and, for LOOPE/LOOPNE, while ZF is 1/0.
template <int kZfCondition>  // -1: none, 1: ZF = 1, 0: ZF = 0
void loop(Cpu& cpu, const Insn& insn) {
  const uint32_t count = (insn.a16() ? cpu.r16(ECX) : cpu.r32(ECX)) - 1;
  const bool zf = cpu.state().eflags & flags::ZF;
  bool taken = (insn.a16() ? (count & 0xFFFF) : count) != 0;
  if constexpr (kZfCondition >= 0) taken = taken && (zf == (kZfCondition == 1));
  uint32_t target = 0;
  if (taken) target = checked_target(cpu, insn, relative_target(cpu, insn));
  if (insn.a16()) {
    cpu.set_r16(ECX, static_cast<uint16_t>(count));
  } else {
    cpu.set_r32(ECX, count);
  }
  if (taken) cpu.state().eip = target;
}

void jecxz(Cpu& cpu, const Insn& insn) {  // E3: JCXZ with a 16-bit address size
  const uint32_t count = insn.a16() ? cpu.r16(ECX) : cpu.r32(ECX);
  if (count == 0) cpu.state().eip = checked_target(cpu, insn, relative_target(cpu, insn));
}

template <size_t... CC>
void register_jcc(HandlerTable& t, std::index_sequence<CC...>) {
  (t.set(0x70 + CC, &jcc<CC>), ...);
  (t.set(kTwoByte | (0x80 + CC), &jcc<CC>), ...);
}

}  // namespace

void register_control(HandlerTable& t) {
  t.set(0xEB, &jmp_rel);
  t.set(0xE9, &jmp_rel);
  register_jcc(t, std::make_index_sequence<16>{});
  t.set(0xE8, &call_rel);
  t.set_group(0xFF, 2, &call_rm);
  t.set_group(0xFF, 4, &jmp_rm);
  t.set(0xC3, &ret_near);
  t.set(0xC2, &ret_near);
  t.set(0xE0, &loop<0>);
  t.set(0xE1, &loop<1>);
  t.set(0xE2, &loop<-1>);
  t.set(0xE3, &jecxz);
}

}  // namespace vmlab::cpu
