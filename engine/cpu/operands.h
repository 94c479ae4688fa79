// Operand access shared by every instruction family: the effective address of a
// ModRM memory operand (SDM Vol. 2A, 2.1.5) and reads/writes of r/m and reg operands
// at 8, 16 and 32 bits.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/insn.h"

namespace vmlab::cpu {

// Offset of the memory operand within its segment (insn.seg). With a 16-bit address
// size the sum wraps at 64 KiB.
inline uint32_t effective_address(const Cpu& cpu, const Insn& insn) {
  uint32_t a = insn.disp;
  if (insn.base != kNoReg) a += cpu.r32(insn.base);
  if (insn.index != kNoReg) a += cpu.r32(insn.index) << insn.scale;
  return insn.a16() ? (a & 0xFFFF) : a;
}

inline uint8_t read_rm8(Cpu& cpu, const Insn& insn) {
  return insn.mem() ? cpu.read8(insn.seg, effective_address(cpu, insn)) : cpu.r8(insn.rm);
}
inline uint16_t read_rm16(Cpu& cpu, const Insn& insn) {
  return insn.mem() ? cpu.read16(insn.seg, effective_address(cpu, insn)) : cpu.r16(insn.rm);
}
inline uint32_t read_rm32(Cpu& cpu, const Insn& insn) {
  return insn.mem() ? cpu.read32(insn.seg, effective_address(cpu, insn)) : cpu.r32(insn.rm);
}
inline void write_rm8(Cpu& cpu, const Insn& insn, uint8_t v) {
  if (insn.mem()) {
    cpu.write8(insn.seg, effective_address(cpu, insn), v);
  } else {
    cpu.set_r8(insn.rm, v);
  }
}
inline void write_rm16(Cpu& cpu, const Insn& insn, uint16_t v) {
  if (insn.mem()) {
    cpu.write16(insn.seg, effective_address(cpu, insn), v);
  } else {
    cpu.set_r16(insn.rm, v);
  }
}
inline void write_rm32(Cpu& cpu, const Insn& insn, uint32_t v) {
  if (insn.mem()) {
    cpu.write32(insn.seg, effective_address(cpu, insn), v);
  } else {
    cpu.set_r32(insn.rm, v);
  }
}

// Operand-size-dependent forms ("v" in the SDM opcode maps): 16 or 32 bits. Values are
// carried in a uint32_t; 16-bit reads are zero-extended, 16-bit writes keep the upper half
// of a register.
inline uint32_t read_rmv(Cpu& cpu, const Insn& insn) {
  return insn.o16() ? read_rm16(cpu, insn) : read_rm32(cpu, insn);
}
inline void write_rmv(Cpu& cpu, const Insn& insn, uint32_t v) {
  if (insn.o16()) {
    write_rm16(cpu, insn, static_cast<uint16_t>(v));
  } else {
    write_rm32(cpu, insn, v);
  }
}
inline uint32_t read_regv(const Cpu& cpu, const Insn& insn, unsigned reg) {
  return insn.o16() ? cpu.r16(reg) : cpu.r32(reg);
}
inline void write_regv(Cpu& cpu, const Insn& insn, unsigned reg, uint32_t v) {
  if (insn.o16()) {
    cpu.set_r16(reg, static_cast<uint16_t>(v));
  } else {
    cpu.set_r32(reg, v);
  }
}
inline void pushv(Cpu& cpu, const Insn& insn, uint32_t v) {
  if (insn.o16()) {
    cpu.push16(static_cast<uint16_t>(v));
  } else {
    cpu.push32(v);
  }
}
inline uint32_t popv(Cpu& cpu, const Insn& insn) {
  return insn.o16() ? cpu.pop16() : cpu.pop32();
}

}  // namespace vmlab::cpu
