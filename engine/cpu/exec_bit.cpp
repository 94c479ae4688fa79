// Bit tests, bit scans and SETcc (SDM Vol. 1, 7.3.7-7.3.8; Vol. 2A "BT", "BTC", "BTR",
// "BTS", "BSF", "BSR"; Vol. 2B "SETcc").
//
// BT* with a register bit offset and a memory operand address a bit string: the offset
// is a signed operand-sized integer that can reach far outside the addressed word; the
// word actually accessed is at EA + (offset >> log2(size)) * size/8, and only that word
// (SDM Vol. 1, figure 3-11 and Vol. 2A "BT"). With an immediate offset or a register
// operand the offset is taken modulo the operand size.
//
// Flags: BT* set CF to the selected bit and leave ZF unchanged as the SDM defines; OF SF
// AF PF are undefined and are left unchanged. BSF/BSR set ZF when the source is zero and
// then leave the destination unchanged (what Intel and AMD processors do; AMD documents
// it); CF OF SF AF PF are undefined and are left unchanged.
#include <bit>
#include <cstdint>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

enum class BitOp : uint8_t { kTest, kSet, kReset, kComplement };

template <BitOp OP, typename T>
inline void bit_apply(T& v, unsigned bit, bool& old) {
  const T m = static_cast<T>(T{1} << bit);
  old = (v & m) != 0;
  if constexpr (OP == BitOp::kSet) {
    v |= m;
  } else if constexpr (OP == BitOp::kReset) {
    v = static_cast<T>(v & ~m);
  } else if constexpr (OP == BitOp::kComplement) {
    v ^= m;
  }
}

template <BitOp OP, typename T>
inline void bit_in_memory(Cpu& cpu, const Insn& insn, uint32_t ea, unsigned bit) {
  T v = mem_read<T>(cpu, insn.seg, ea);
  bool old;
  bit_apply<OP, T>(v, bit, old);
  if constexpr (OP != BitOp::kTest) mem_write<T>(cpu, insn.seg, ea, v);
  cpu.state().eflags = (cpu.state().eflags & ~flags::CF) | (old ? flags::CF : 0);
}

template <BitOp OP, typename T>
inline void bit_in_register(Cpu& cpu, const Insn& insn, unsigned bit) {
  T v = reg_read<T>(cpu, insn.rm);
  bool old;
  bit_apply<OP, T>(v, bit, old);
  if constexpr (OP != BitOp::kTest) reg_write<T>(cpu, insn.rm, v);
  cpu.state().eflags = (cpu.state().eflags & ~flags::CF) | (old ? flags::CF : 0);
}

// BT* r/m, reg (0F A3 AB B3 BB).
template <BitOp OP>
struct BitReg {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    constexpr unsigned kShift = sizeof(T) == 2 ? 4 : 5;
    const T offset = reg_read<T>(cpu, insn.reg);
    const unsigned bit = offset & (kBits<T> - 1);
    if (!insn.mem()) {
      bit_in_register<OP, T>(cpu, insn, bit);
      return;
    }
    // Signed: a negative offset addresses bits below EA.
    const int32_t word = sext(offset) >> kShift;
    uint32_t ea = effective_address(cpu, insn) + static_cast<uint32_t>(word) * sizeof(T);
    if (insn.a16()) ea &= 0xFFFF;
    bit_in_memory<OP, T>(cpu, insn, ea, bit);
  }
};

// BT* r/m, imm8 (0F BA /4-/7).
template <BitOp OP>
struct BitImm {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const unsigned bit = insn.imm & (kBits<T> - 1);
    if (insn.mem()) {
      bit_in_memory<OP, T>(cpu, insn, effective_address(cpu, insn), bit);
    } else {
      bit_in_register<OP, T>(cpu, insn, bit);
    }
  }
};

template <bool kReverse>
struct BitScan {  // BSF 0F BC, BSR 0F BD
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const T src = RmOperand<T>(cpu, insn).read();
    uint32_t& fl = cpu.state().eflags;
    if (src == 0) {
      fl |= flags::ZF;
      return;
    }
    const unsigned index = kReverse ? kBits<T> - 1 - static_cast<unsigned>(std::countl_zero(src))
                                    : static_cast<unsigned>(std::countr_zero(src));
    reg_write<T>(cpu, insn.reg, static_cast<T>(index));
    fl &= ~flags::ZF;
  }
};

template <unsigned CC>
void setcc(Cpu& cpu, const Insn& insn) {
  write_rm8(cpu, insn, condition_holds(cpu.state().eflags, CC) ? 1 : 0);
}

template <size_t... CC>
void register_setcc(HandlerTable& t, std::index_sequence<CC...>) {
  (t.set(kTwoByte | (0x90 + CC), &setcc<CC>), ...);
}

}  // namespace

void register_bit(HandlerTable& t) {
  t.set(kTwoByte | 0xA3, &by_opsize<BitReg<BitOp::kTest>>);
  t.set(kTwoByte | 0xAB, &by_opsize<BitReg<BitOp::kSet>>);
  t.set(kTwoByte | 0xB3, &by_opsize<BitReg<BitOp::kReset>>);
  t.set(kTwoByte | 0xBB, &by_opsize<BitReg<BitOp::kComplement>>);
  t.set_group(kTwoByte | 0xBA, 4, &by_opsize<BitImm<BitOp::kTest>>);
  t.set_group(kTwoByte | 0xBA, 5, &by_opsize<BitImm<BitOp::kSet>>);
  t.set_group(kTwoByte | 0xBA, 6, &by_opsize<BitImm<BitOp::kReset>>);
  t.set_group(kTwoByte | 0xBA, 7, &by_opsize<BitImm<BitOp::kComplement>>);
  t.set(kTwoByte | 0xBC, &by_opsize<BitScan<false>>);
  t.set(kTwoByte | 0xBD, &by_opsize<BitScan<true>>);
  register_setcc(t, std::make_index_sequence<16>{});
}

}  // namespace vmlab::cpu
