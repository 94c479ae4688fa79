// Arithmetic status flags, computed eagerly (SDM Vol. 1, 3.4.3.1 and appendix A, the
// EFLAGS cross-reference), and the condition codes of Jcc/SETcc/CMOVcc (SDM Vol. 1,
// appendix B).
//
// Every helper works on a copy of EFLAGS and returns the updated copy, so an instruction
// computes its flags first and stores them last, after every access that can fault.
//
// Choices for flags the SDM leaves undefined are made here, once, so that every family
// behaves the same way:
//  - AND OR XOR TEST: AF = 0 (what Intel processors are observed to do).
//  - Shifts, rotates, SHLD/SHRD with a count above 1: OF follows the count-1 formula
//    applied to the final result; AF = 0 for the shifts. Counts beyond the operand width
//    give CF = the last bit shifted out of the widened value (see exec_shift.cpp).
//  - MUL/IMUL: SF, ZF, PF from the low half of the product (the part in AL/AX/EAX or the
//    destination register); AF = 0.
//  - DIV/IDIV, BT/BTS/BTR/BTC (OF SF AF PF), BSF/BSR (CF OF SF AF PF): unchanged.
//  - DAA/DAS: OF = 0; AAA/AAS: OF = 0, SF ZF PF from AL; AAM/AAD: CF OF AF = 0.
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/cpu_state.h"

namespace vmlab::cpu {

template <typename T>
inline constexpr unsigned kBits = sizeof(T) * 8;
template <typename T>
inline constexpr T kSignBit = static_cast<T>(T{1} << (kBits<T> - 1));

// PF is set when the low byte of the result has an even number of one bits (only the
// low byte counts, at every operand size).
inline constexpr std::array<uint8_t, 256> kParityTable = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned ones = 0;
    for (unsigned b = i; b != 0; b >>= 1) ones += b & 1;
    t[i] = (ones % 2 == 0) ? static_cast<uint8_t>(flags::PF) : 0;
  }
  return t;
}();

// SF, ZF and PF of a result.
template <typename T>
inline uint32_t flags_szp(T r) {
  return (r == 0 ? flags::ZF : 0) | ((r & kSignBit<T>) ? flags::SF : 0) |
         kParityTable[static_cast<uint8_t>(r)];
}

// Replaces the six status bits of `eflags` by `status`.
inline uint32_t with_status(uint32_t eflags, uint32_t status) {
  return (eflags & ~flags::kStatus) | status;
}

// The status flags of r = a + b + carry_in. AF is the carry out of bit 3, which is bit 4
// of a ^ b ^ r; flags::AF is bit 4, so it drops into place.
template <typename T>
inline uint32_t flags_add(T a, T b, T r, bool carry_in) {
  const bool cf = carry_in ? (r <= a) : (r < a);
  const bool of = ((a ^ r) & (b ^ r) & kSignBit<T>) != 0;
  return (cf ? flags::CF : 0) | (of ? flags::OF : 0) | ((a ^ b ^ r) & flags::AF) | flags_szp(r);
}

// The status flags of r = a - b - borrow_in (SUB, SBB, CMP, NEG, DEC).
template <typename T>
inline uint32_t flags_sub(T a, T b, T r, bool borrow_in) {
  const bool cf = borrow_in ? (a <= b) : (a < b);
  const bool of = ((a ^ b) & (a ^ r) & kSignBit<T>) != 0;
  return (cf ? flags::CF : 0) | (of ? flags::OF : 0) | ((a ^ b ^ r) & flags::AF) | flags_szp(r);
}

// AND OR XOR TEST: CF = OF = 0; AF = 0 by our choice (the SDM leaves it undefined).
template <typename T>
inline uint32_t flags_logic(T r) {
  return flags_szp(r);
}

// The condition codes, numbered as the low nibble of Jcc/SETcc/CMOVcc (SDM Vol. 1,
// table B-1): even codes test a condition, odd codes its negation.
inline bool condition_holds(uint32_t f, unsigned cc) {
  bool r = false;
  switch ((cc >> 1) & 7) {
    case 0: r = f & flags::OF; break;                                    // O
    case 1: r = f & flags::CF; break;                                    // B, C, NAE
    case 2: r = f & flags::ZF; break;                                    // E, Z
    case 3: r = f & (flags::CF | flags::ZF); break;                      // BE, NA
    case 4: r = f & flags::SF; break;                                    // S
    case 5: r = f & flags::PF; break;                                    // P, PE
    case 6: r = ((f >> 7) ^ (f >> 11)) & 1; break;                       // L: SF != OF
    case 7: r = (f & flags::ZF) || (((f >> 7) ^ (f >> 11)) & 1); break;  // LE
  }
  return r != ((cc & 1) != 0);
}

}  // namespace vmlab::cpu
