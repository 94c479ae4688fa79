// Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR (SDM Vol. 1, 7.3.5-7.3.6; Vol. 2B,
// "RCL/RCR/ROL/ROR" and "SAL/SAR/SHL/SHR") and the double shifts SHLD SHRD (Vol. 2B).
//
// The count is masked to 5 bits. A masked count of 0 changes neither the operand nor
// any flag. Flags the SDM leaves undefined (see flags.h for the project-wide rule):
//  - OF for counts above 1 follows the count-1 formula applied to the final result:
//    SHL: MSB(r) ^ CF; SHR: MSB of the original operand; SAR: 0; ROL: MSB(r) ^ CF;
//    ROR and RCR: MSB(r) ^ the bit below it; RCL: MSB(r) ^ CF; SHLD/SHRD: MSB(r) ^
//    MSB(original).
//  - AF = 0 after SHL SHR SAR SHLD SHRD with a non-zero count. Rotates leave AF alone
//    (they only define CF and OF, and change nothing else).
//  - 8/16-bit SHL/SHR by more than the operand width: CF is the last bit shifted out of
//    the zero-extended value, which is 0; the result is 0.
//  - 16-bit SHLD/SHRD by 17..31: the operand is shifted as part of the 48-bit pattern
//    dest:src:dest, the result Intel processors are reported to give.
#include <bit>
#include <cstdint>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

// In the order of the /digit of the C0 C1 D0-D3 groups; /6 is an undocumented alias of
// SHL (SAL) that IA-32 processors execute as such.
enum class Sh : uint8_t { kRol, kRor, kRcl, kRcr, kShl, kShr, kSal, kSar };

template <typename T>
inline bool msb(T v) {
  return (v & kSignBit<T>) != 0;
}

// Shifts `a` by `count` (1..31, already masked), updating the flags in `fl`.
template <Sh OP, typename T>
inline T shift(uint32_t& fl, T a, unsigned count) {
  constexpr unsigned kW = kBits<T>;
  T r;
  bool cf;
  bool of;
  if constexpr (OP == Sh::kShl || OP == Sh::kSal) {
    const uint64_t x = uint64_t{a} << count;
    r = static_cast<T>(x);
    cf = (x >> kW) & 1;
    of = msb(r) != cf;
  } else if constexpr (OP == Sh::kShr) {
    r = static_cast<T>(uint32_t{a} >> count);
    cf = (uint32_t{a} >> (count - 1)) & 1;
    of = msb(a);
  } else if constexpr (OP == Sh::kSar) {
    const int32_t sa = sext(a);
    r = static_cast<T>(sa >> count);
    cf = (sa >> (count - 1)) & 1;
    of = false;
  } else if constexpr (OP == Sh::kRol || OP == Sh::kRor) {
    // The bits rotate within the operand: the count is taken modulo its width.
    const int n = static_cast<int>(count % kW);
    r = OP == Sh::kRol ? std::rotl(a, n) : std::rotr(a, n);
    if constexpr (OP == Sh::kRol) {
      cf = r & 1;
      of = msb(r) != cf;
    } else {
      cf = msb(r);
      of = msb(r) != msb(static_cast<T>(r << 1));
    }
    fl = (fl & ~(flags::CF | flags::OF)) | (cf ? flags::CF : 0) | (of ? flags::OF : 0);
    return r;
  } else {
    // RCL/RCR rotate the (width+1)-bit value CF:operand (SDM: the count is taken modulo 9
    // for bytes and 17 for words; for doublewords the 5-bit mask already bounds it).
    constexpr unsigned kW1 = kW + 1;
    constexpr uint64_t kMask = (uint64_t{1} << kW1) - 1;
    const unsigned n = (kW == 32) ? count : count % kW1;
    uint64_t x = (uint64_t{(fl & flags::CF) != 0} << kW) | a;
    if (n != 0) {
      x = (OP == Sh::kRcl) ? ((x << n) | (x >> (kW1 - n))) : ((x >> n) | (x << (kW1 - n)));
      x &= kMask;
    }
    r = static_cast<T>(x);
    cf = (x >> kW) & 1;
    of = (OP == Sh::kRcl) ? (msb(r) != cf) : (msb(r) != msb(static_cast<T>(r << 1)));
    fl = (fl & ~(flags::CF | flags::OF)) | (cf ? flags::CF : 0) | (of ? flags::OF : 0);
    return r;
  }
  fl = with_status(fl, (cf ? flags::CF : 0) | (of ? flags::OF : 0) | flags_szp(r));
  return r;
}

enum class Count : uint8_t { kImm, kOne, kCl };

template <Count C>
inline unsigned shift_count(const Cpu& cpu, const Insn& insn) {
  if constexpr (C == Count::kImm) {
    return insn.imm & 0x1F;
  } else if constexpr (C == Count::kOne) {
    return 1;
  } else {
    return cpu.r8(1) & 0x1F;  // CL
  }
}

template <Sh OP, Count C>
struct Shift {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const unsigned count = shift_count<C>(cpu, insn);
    const RmOperand<T> dst(cpu, insn);
    const T a = dst.read();
    if (count == 0) return;
    uint32_t fl = cpu.state().eflags;
    const T r = shift<OP, T>(fl, a, count);
    dst.write(r);
    cpu.state().eflags = fl;
  }
};

// SHLD/SHRD: dest is shifted and the vacated bits are filled from src (0F A4 A5 AC AD).
template <bool kLeft, Count C>
struct DoubleShift {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const unsigned count = shift_count<C>(cpu, insn);
    const RmOperand<T> dst(cpu, insn);
    const T d = dst.read();
    const T s = reg_read<T>(cpu, insn.reg);
    if (count == 0) return;
    T r;
    bool cf;
    if constexpr (sizeof(T) == 4) {
      if (kLeft) {
        r = (d << count) | (s >> (32 - count));
        cf = (d >> (32 - count)) & 1;
      } else {
        r = (d >> count) | (s << (32 - count));
        cf = (d >> (count - 1)) & 1;
      }
    } else {
      if (kLeft) {
        const uint64_t v = (uint64_t{d} << 32) | (uint64_t{s} << 16) | d;
        r = static_cast<T>((v << count) >> 32);
        cf = (v >> (48 - count)) & 1;
      } else {
        const uint64_t v = (uint64_t{d} << 32) | (uint64_t{s} << 16) | d;
        r = static_cast<T>(v >> count);
        cf = (v >> (count - 1)) & 1;
      }
    }
    dst.write(r);
    const bool of = msb(r) != msb(d);
    cpu.state().eflags =
        with_status(cpu.state().eflags, (cf ? flags::CF : 0) | (of ? flags::OF : 0) | flags_szp(r));
  }
};

template <size_t... R>
void register_groups(HandlerTable& t, std::index_sequence<R...>) {
  (t.set_group(0xC0, R, &Shift<static_cast<Sh>(R), Count::kImm>::template run<uint8_t>), ...);
  (t.set_group(0xC1, R, &by_opsize<Shift<static_cast<Sh>(R), Count::kImm>>), ...);
  (t.set_group(0xD0, R, &Shift<static_cast<Sh>(R), Count::kOne>::template run<uint8_t>), ...);
  (t.set_group(0xD1, R, &by_opsize<Shift<static_cast<Sh>(R), Count::kOne>>), ...);
  (t.set_group(0xD2, R, &Shift<static_cast<Sh>(R), Count::kCl>::template run<uint8_t>), ...);
  (t.set_group(0xD3, R, &by_opsize<Shift<static_cast<Sh>(R), Count::kCl>>), ...);
}

}  // namespace

void register_shift(HandlerTable& t) {
  register_groups(t, std::make_index_sequence<8>{});
  t.set(kTwoByte | 0xA4, &by_opsize<DoubleShift<true, Count::kImm>>);
  t.set(kTwoByte | 0xA5, &by_opsize<DoubleShift<true, Count::kCl>>);
  t.set(kTwoByte | 0xAC, &by_opsize<DoubleShift<false, Count::kImm>>);
  t.set(kTwoByte | 0xAD, &by_opsize<DoubleShift<false, Count::kCl>>);
}

}  // namespace vmlab::cpu
