// Multiplication and division: MUL IMUL DIV IDIV (SDM Vol. 1, 7.3.2.3; Vol. 2A "DIV",
// "IDIV", "IMUL"; Vol. 2B "MUL"). Opcodes F6/F7 /4-/7, 0F AF, 69, 6B.
//
// Defined flags: CF = OF = 1 when the product does not fit the destination (the high half
// is significant). Undefined flags, by the choice documented in flags.h: after MUL/IMUL,
// SF ZF PF describe the low half of the product and AF = 0; DIV/IDIV leave every status
// flag unchanged.
//
// Division faults with #DE on a zero divisor and when the quotient does not fit the
// destination, before anything is written (the SDM's "#DE" conditions, and the
// IDIV of the most negative dividend by -1).
#include <cstdint>
#include <limits>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

template <typename T>
struct Wider;
template <>
struct Wider<uint8_t> {
  using U = uint16_t;
  using S = int16_t;
};
template <>
struct Wider<uint16_t> {
  using U = uint32_t;
  using S = int32_t;
};
template <>
struct Wider<uint32_t> {
  using U = uint64_t;
  using S = int64_t;
};

// The double-width accumulator: AX for bytes, DX:AX for words, EDX:EAX for dwords.
template <typename T>
inline uint64_t read_acc2(const Cpu& cpu) {
  if constexpr (sizeof(T) == 1) {
    return cpu.r16(EAX);
  } else {
    return (uint64_t{reg_read<T>(cpu, EDX)} << kBits<T>) | reg_read<T>(cpu, EAX);
  }
}

template <typename T>
inline void write_acc2(Cpu& cpu, uint64_t v) {
  if constexpr (sizeof(T) == 1) {
    cpu.set_r16(EAX, static_cast<uint16_t>(v));
  } else {
    reg_write<T>(cpu, EAX, static_cast<T>(v));
    reg_write<T>(cpu, EDX, static_cast<T>(v >> kBits<T>));
  }
}

// Status flags after a multiplication: `overflow` sets CF and OF; SF ZF PF of the low half.
template <typename T>
inline uint32_t mul_flags(T low, bool overflow) {
  return (overflow ? (flags::CF | flags::OF) : 0) | flags_szp(low);
}

struct Mul {  // F6/F7 /4
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    using U = typename Wider<T>::U;
    const U p = static_cast<U>(U{RmOperand<T>(cpu, insn).read()} * reg_read<T>(cpu, EAX));
    write_acc2<T>(cpu, p);
    cpu.state().eflags =
        with_status(cpu.state().eflags, mul_flags<T>(static_cast<T>(p), (p >> kBits<T>) != 0));
  }
};

// The signed product of two operand-sized values and whether it overflows the size.
template <typename T>
inline int64_t signed_product(T a, T b, bool& overflow) {
  const int64_t p = int64_t{sext(a)} * sext(b);
  overflow = p != sext(static_cast<T>(p));
  return p;
}

struct Imul1 {  // F6/F7 /5: AX, DX:AX or EDX:EAX <- accumulator * r/m
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    using U = typename Wider<T>::U;
    bool overflow;
    const auto p =
        signed_product<T>(RmOperand<T>(cpu, insn).read(), reg_read<T>(cpu, EAX), overflow);
    write_acc2<T>(cpu, static_cast<U>(static_cast<uint64_t>(p)));
    cpu.state().eflags = with_status(cpu.state().eflags, mul_flags<T>(static_cast<T>(p), overflow));
  }
};

// IMUL reg, r/m (0F AF) and IMUL reg, r/m, imm (69, 6B): the product is truncated to the
// operand size, CF = OF = 1 when that lost significant bits.
template <bool kImm>
struct Imul2 {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const T src = RmOperand<T>(cpu, insn).read();
    const T other = kImm ? static_cast<T>(insn.imm) : reg_read<T>(cpu, insn.reg);
    bool overflow;
    const T r = static_cast<T>(signed_product<T>(src, other, overflow));
    reg_write<T>(cpu, insn.reg, r);
    cpu.state().eflags = with_status(cpu.state().eflags, mul_flags<T>(r, overflow));
  }
};

struct Div {  // F6/F7 /6
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const T divisor = RmOperand<T>(cpu, insn).read();
    if (divisor == 0) cpu.fault(vec::DE);
    const uint64_t dividend = read_acc2<T>(cpu);
    const uint64_t q = dividend / divisor;
    const uint64_t r = dividend % divisor;
    if (q > std::numeric_limits<T>::max()) cpu.fault(vec::DE);
    write_acc2<T>(cpu, (r << kBits<T>) | q);
  }
};

struct Idiv {  // F6/F7 /7
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    using S = typename Wider<T>::S;
    const int64_t divisor = sext(RmOperand<T>(cpu, insn).read());
    if (divisor == 0) cpu.fault(vec::DE);
    const int64_t dividend = static_cast<S>(static_cast<typename Wider<T>::U>(read_acc2<T>(cpu)));
    constexpr int64_t kMin = -(int64_t{1} << (kBits<T> - 1));
    constexpr int64_t kMax = (int64_t{1} << (kBits<T> - 1)) - 1;
    int64_t q;
    int64_t r;
    if (divisor == -1) {
      // Negating the dividend directly: INT64_MIN / -1 would overflow the host division.
      // Any dividend below -kMax gives a quotient above kMax, and so #DE.
      if (dividend < -kMax) cpu.fault(vec::DE);
      q = -dividend;
      r = 0;
    } else {
      q = dividend / divisor;  // C++ truncates toward zero, as IDIV does
      r = dividend % divisor;  // and the remainder takes the dividend's sign
    }
    if (q < kMin || q > kMax) cpu.fault(vec::DE);
    const uint64_t mask = (uint64_t{1} << kBits<T>)-1;
    write_acc2<T>(
        cpu, ((static_cast<uint64_t>(r) & mask) << kBits<T>) | (static_cast<uint64_t>(q) & mask));
  }
};

}  // namespace

void register_muldiv(HandlerTable& t) {
  t.set_group(0xF6, 4, &Mul::run<uint8_t>);
  t.set_group(0xF7, 4, &by_opsize<Mul>);
  t.set_group(0xF6, 5, &Imul1::run<uint8_t>);
  t.set_group(0xF7, 5, &by_opsize<Imul1>);
  t.set_group(0xF6, 6, &Div::run<uint8_t>);
  t.set_group(0xF7, 6, &by_opsize<Div>);
  t.set_group(0xF6, 7, &Idiv::run<uint8_t>);
  t.set_group(0xF7, 7, &by_opsize<Idiv>);
  t.set(kTwoByte | 0xAF, &by_opsize<Imul2<false>>);
  t.set(0x69, &by_opsize<Imul2<true>>);
  t.set(0x6B, &by_opsize<Imul2<true>>);
}

}  // namespace vmlab::cpu
