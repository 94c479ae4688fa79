// Stack instructions: PUSH POP (registers, immediates, r/m), PUSHA POPA, ENTER LEAVE
// (SDM Vol. 1, 6.2-6.5 and 7.3.1.4; Vol. 2B "PUSH", "POP", "PUSHA", "POPA"; Vol. 2A
// "ENTER", "LEAVE"). PUSH/POP of segment registers and PUSHF/POPF are system
// instructions (exec_segment.cpp, exec_interrupt.cpp).
//
// The operand size chooses the width of each slot (16 or 32 bits); the stack segment's B
// bit chooses ESP or SP (sized_operands.h). Multi-slot instructions write their slots
// first and move ESP last, so a fault restarts them with ESP as it was.
#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

// PUSH reg (50+r). PUSH ESP pushes the value ESP had before the instruction (SDM Vol.
// 2B, PUSH: "the value as it existed before the instruction"); reading it first does so.
void push_reg(Cpu& cpu, const Insn& insn) {
  pushv(cpu, insn, read_regv(cpu, insn, insn.op & 7));
}

// POP reg (58+r). POP ESP loads ESP with the popped value: the write after the
// increment wins.
void pop_reg(Cpu& cpu, const Insn& insn) {
  const uint32_t v = popv(cpu, insn);
  write_regv(cpu, insn, insn.op & 7, v);
}

// PUSH imm (68 Iz, 6A Ib sign-extended by the decoder).
void push_imm(Cpu& cpu, const Insn& insn) {
  pushv(cpu, insn, insn.imm);
}

// PUSH r/m (FF /6). An ESP-based operand is addressed with ESP before the push.
void push_rm(Cpu& cpu, const Insn& insn) {
  pushv(cpu, insn, read_rmv(cpu, insn));
}

// POP r/m (8F /0). The SDM: "If the ESP register is used as a base register for
// addressing a destination operand in memory, the POP instruction computes the effective
// address of the operand after it increments the ESP register." The incremented ESP is
// substituted into the address computation; ESP itself moves only after the write.
struct PopRm {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const uint32_t mask = stack_mask(cpu);
    const uint32_t sp = stack_pointer(cpu);
    const T v = mem_read<T>(cpu, SS, sp);
    const uint32_t new_sp = (sp + sizeof(T)) & mask;
    if (!insn.mem()) {
      set_stack_pointer(cpu, new_sp);
      reg_write<T>(cpu, insn.rm, v);
      return;
    }
    const uint32_t new_esp = (cpu.r32(ESP) & ~mask) | new_sp;
    uint32_t ea = insn.disp;
    if (insn.base != kNoReg) ea += insn.base == ESP ? new_esp : cpu.r32(insn.base);
    if (insn.index != kNoReg) ea += cpu.r32(insn.index) << insn.scale;
    if (insn.a16()) ea &= 0xFFFF;
    mem_write<T>(cpu, insn.seg, ea, v);
    set_stack_pointer(cpu, new_sp);
  }
};

// PUSHA/PUSHAD (60): EAX ECX EDX EBX, the original ESP, EBP ESI EDI.
struct Pusha {
  template <typename T>
  static void run(Cpu& cpu, const Insn&) {
    const uint32_t mask = stack_mask(cpu);
    const uint32_t sp = stack_pointer(cpu);
    for (unsigned i = 0; i < 8; ++i) {
      const uint32_t slot = (sp - (i + 1) * sizeof(T)) & mask;
      mem_write<T>(cpu, SS, slot, reg_read<T>(cpu, i));  // i == ESP: the value before PUSHA
    }
    set_stack_pointer(cpu, (sp - 8 * sizeof(T)) & mask);
  }
};

// POPA/POPAD (61): the reverse order; the saved ESP slot is skipped.
struct Popa {
  template <typename T>
  static void run(Cpu& cpu, const Insn&) {
    const uint32_t mask = stack_mask(cpu);
    const uint32_t sp = stack_pointer(cpu);
    T v[8];
    for (unsigned i = 0; i < 8; ++i) v[7 - i] = mem_read<T>(cpu, SS, (sp + i * sizeof(T)) & mask);
    for (unsigned r = 0; r < 8; ++r) {
      if (r != ESP) reg_write<T>(cpu, r, v[r]);
    }
    set_stack_pointer(cpu, (sp + 8 * sizeof(T)) & mask);
  }
};

// ENTER imm16, imm8 (C8): push EBP; with a nesting level L > 0, copy L-1 frame pointers
// from the enclosing frame (read through EBP) and push the new frame pointer; then
// EBP <- the frame pointer and ESP <- frame pointer - imm16 (SDM Vol. 2A, ENTER, and
// Vol. 1, 6.5 "procedure calls for block-structured languages").
struct Enter {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const uint32_t mask = stack_mask(cpu);
    const uint32_t alloc = insn.imm & 0xFFFF;
    const unsigned level = insn.imm2 & 31;  // the SDM takes the level modulo 32
    uint32_t sp = (stack_pointer(cpu) - sizeof(T)) & mask;
    mem_write<T>(cpu, SS, sp, reg_read<T>(cpu, EBP));
    const uint32_t frame = sp;
    if (level > 0) {
      uint32_t bp = cpu.r32(EBP) & mask;
      for (unsigned i = 1; i < level; ++i) {
        bp = (bp - sizeof(T)) & mask;
        const T link = mem_read<T>(cpu, SS, bp);
        sp = (sp - sizeof(T)) & mask;
        mem_write<T>(cpu, SS, sp, link);
      }
      sp = (sp - sizeof(T)) & mask;
      mem_write<T>(cpu, SS, sp, static_cast<T>(frame));
    }
    sp = (sp - alloc) & mask;
    // #SS(0) if the new stack pointer lies outside the stack segment.
    cpu.linear(SS, sp, 1, Access::kWrite);
    if (cpu.state().seg[SS].db) {
      cpu.set_r32(EBP, frame);
    } else {
      cpu.set_r16(EBP, static_cast<uint16_t>(frame));
    }
    set_stack_pointer(cpu, sp);
  }
};

// LEAVE (C9): ESP <- EBP (SP <- BP with a 16-bit stack), then pop EBP.
struct Leave {
  template <typename T>
  static void run(Cpu& cpu, const Insn&) {
    const uint32_t mask = stack_mask(cpu);
    const uint32_t sp = cpu.r32(EBP) & mask;
    const T v = mem_read<T>(cpu, SS, sp);
    set_stack_pointer(cpu, (sp + sizeof(T)) & mask);
    reg_write<T>(cpu, EBP, v);
  }
};

}  // namespace

void register_stack(HandlerTable& t) {
  for (uint16_t r = 0; r < 8; ++r) {
    t.set(0x50 + r, &push_reg);
    t.set(0x58 + r, &pop_reg);
  }
  t.set(0x68, &push_imm);
  t.set(0x6A, &push_imm);
  t.set_group(0xFF, 6, &push_rm);
  t.set_group(0x8F, 0, &by_opsize<PopRm>);
  t.set(0x60, &by_opsize<Pusha>);
  t.set(0x61, &by_opsize<Popa>);
  t.set(0xC8, &by_opsize<Enter>);
  t.set(0xC9, &by_opsize<Leave>);
}

}  // namespace vmlab::cpu
