// Operand access templated over the operand width (uint8_t, uint16_t, uint32_t), for the
// integer families: one routine per instruction, instantiated per size, instead of three
// hand-written copies. Built on operands.h.
//
// RmOperand computes the effective address of a ModRM operand once, so that a
// read-modify-write instruction (ADD [m], r; XCHG; SHL [m]) does a single address
// calculation, reads, and writes back to the same place (SDM Vol. 2A, 2.1.5).
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/insn.h"
#include "engine/cpu/operands.h"

namespace vmlab::cpu {

template <typename T>
inline T mem_read(Cpu& cpu, uint8_t seg, uint32_t off) {
  if constexpr (sizeof(T) == 1) {
    return cpu.read8(seg, off);
  } else if constexpr (sizeof(T) == 2) {
    return cpu.read16(seg, off);
  } else {
    return cpu.read32(seg, off);
  }
}

template <typename T>
inline void mem_write(Cpu& cpu, uint8_t seg, uint32_t off, T v) {
  if constexpr (sizeof(T) == 1) {
    cpu.write8(seg, off, v);
  } else if constexpr (sizeof(T) == 2) {
    cpu.write16(seg, off, v);
  } else {
    cpu.write32(seg, off, v);
  }
}

// General registers by ModRM number; 8-bit numbers are AL CL DL BL AH CH DH BH.
template <typename T>
inline T reg_read(const Cpu& cpu, unsigned r) {
  if constexpr (sizeof(T) == 1) {
    return cpu.r8(r);
  } else if constexpr (sizeof(T) == 2) {
    return cpu.r16(r);
  } else {
    return cpu.r32(r);
  }
}

template <typename T>
inline void reg_write(Cpu& cpu, unsigned r, T v) {
  if constexpr (sizeof(T) == 1) {
    cpu.set_r8(r, v);
  } else if constexpr (sizeof(T) == 2) {
    cpu.set_r16(r, v);
  } else {
    cpu.set_r32(r, v);
  }
}

// The r/m operand of an instruction: a register or a memory location whose address is
// computed once, at construction.
template <typename T>
class RmOperand {
 public:
  RmOperand(Cpu& cpu, const Insn& insn)
      : cpu_(cpu),
        mem_(insn.mem()),
        seg_(insn.seg),
        where_(mem_ ? effective_address(cpu, insn) : insn.rm) {}

  T read() const { return mem_ ? mem_read<T>(cpu_, seg_, where_) : reg_read<T>(cpu_, where_); }
  void write(T v) const {
    if (mem_) {
      mem_write<T>(cpu_, seg_, where_, v);
    } else {
      reg_write<T>(cpu_, where_, v);
    }
  }
  bool is_mem() const { return mem_; }
  uint32_t offset() const { return where_; }  // the effective address, for memory operands

 private:
  Cpu& cpu_;
  bool mem_;
  uint8_t seg_;
  uint32_t where_;  // effective address, or register number
};

// Dispatches a routine templated on the operand size to its 16- or 32-bit instance.
// `Op` is a struct with `template <typename T> static void run(Cpu&, const Insn&)`.
template <typename Op>
inline void by_opsize(Cpu& cpu, const Insn& insn) {
  if (insn.o16()) {
    Op::template run<uint16_t>(cpu, insn);
  } else {
    Op::template run<uint32_t>(cpu, insn);
  }
}

// The stack pointer as the stack segment's B bit selects it: ESP with a 32-bit stack
// segment, SP with a 16-bit one (SDM Vol. 3A, 6.2 and Vol. 1, 6.2.3). Instructions that
// touch several stack slots (PUSHA, ENTER, RET imm16) compute every address from the
// pointer, access memory, and move the pointer last, so a fault leaves ESP unchanged.
inline uint32_t stack_mask(const Cpu& cpu) {
  return cpu.state().seg[SS].db ? 0xFFFFFFFFu : 0xFFFFu;
}
inline uint32_t stack_pointer(const Cpu& cpu) {
  return cpu.r32(ESP) & stack_mask(cpu);
}
inline void set_stack_pointer(Cpu& cpu, uint32_t sp) {
  if (cpu.state().seg[SS].db) {
    cpu.set_r32(ESP, sp);
  } else {
    cpu.set_r16(ESP, static_cast<uint16_t>(sp));
  }
}

// Sign extension of an operand-sized value to 32 bits.
template <typename T>
inline int32_t sext(T v) {
  if constexpr (sizeof(T) == 1) {
    return static_cast<int8_t>(v);
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<int16_t>(v);
  } else {
    return static_cast<int32_t>(v);
  }
}

}  // namespace vmlab::cpu
