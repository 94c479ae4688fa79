// Binary and unary integer arithmetic: ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG
// NOT (SDM Vol. 1, 7.3.2 and 7.3.4; Vol. 2 for each instruction; opcode map Vol. 2D,
// appendix A). The status flags are computed by flags.h.
#include <cstdint>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

// In the order of the opcode map: row 0x00-0x38 in steps of 8 and the /digit of the
// 80-83 immediate groups. TEST is AND without the write-back.
enum class Alu : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

template <Alu OP>
inline constexpr bool kWritesBack = OP != Alu::kCmp&& OP != Alu::kTest;

// Computes a OP b, updating the status bits of `fl`.
template <Alu OP, typename T>
inline T alu(uint32_t& fl, T a, T b) {
  const bool c = fl & flags::CF;
  T r;
  uint32_t f;
  if constexpr (OP == Alu::kAdd) {
    r = static_cast<T>(a + b);
    f = flags_add<T>(a, b, r, false);
  } else if constexpr (OP == Alu::kAdc) {
    r = static_cast<T>(a + b + c);
    f = flags_add<T>(a, b, r, c);
  } else if constexpr (OP == Alu::kSub || OP == Alu::kCmp) {
    r = static_cast<T>(a - b);
    f = flags_sub<T>(a, b, r, false);
  } else if constexpr (OP == Alu::kSbb) {
    r = static_cast<T>(a - b - c);
    f = flags_sub<T>(a, b, r, c);
  } else if constexpr (OP == Alu::kAnd || OP == Alu::kTest) {
    r = static_cast<T>(a & b);
    f = flags_logic<T>(r);
  } else if constexpr (OP == Alu::kOr) {
    r = static_cast<T>(a | b);
    f = flags_logic<T>(r);
  } else {
    r = static_cast<T>(a ^ b);
    f = flags_logic<T>(r);
  }
  fl = with_status(fl, f);
  return r;
}

// OP r/m, reg (00 01 08 09 ... 84 85).
template <Alu OP>
struct AluEG {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    uint32_t fl = cpu.state().eflags;
    const T r = alu<OP, T>(fl, dst.read(), reg_read<T>(cpu, insn.reg));
    if constexpr (kWritesBack<OP>) dst.write(r);
    cpu.state().eflags = fl;
  }
};

// OP reg, r/m (02 03 0A 0B ...).
template <Alu OP>
struct AluGE {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const T src = RmOperand<T>(cpu, insn).read();
    uint32_t fl = cpu.state().eflags;
    const T r = alu<OP, T>(fl, reg_read<T>(cpu, insn.reg), src);
    if constexpr (kWritesBack<OP>) reg_write<T>(cpu, insn.reg, r);
    cpu.state().eflags = fl;
  }
};

// OP AL/AX/EAX, imm (04 05 0C 0D ... A8 A9).
template <Alu OP>
struct AluAccImm {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    uint32_t fl = cpu.state().eflags;
    const T r = alu<OP, T>(fl, reg_read<T>(cpu, EAX), static_cast<T>(insn.imm));
    if constexpr (kWritesBack<OP>) reg_write<T>(cpu, EAX, r);
    cpu.state().eflags = fl;
  }
};

// OP r/m, imm (80 81 82 83 /digit; F6 F7 /0 /1 TEST). The decoder has already
// sign-extended the imm8 of 83.
template <Alu OP>
struct AluEImm {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    uint32_t fl = cpu.state().eflags;
    const T r = alu<OP, T>(fl, dst.read(), static_cast<T>(insn.imm));
    if constexpr (kWritesBack<OP>) dst.write(r);
    cpu.state().eflags = fl;
  }
};

// INC and DEC are ADD and SUB of 1 that leave CF alone, so a loop counter does not
// disturb a multi-word carry chain (SDM Vol. 2A, INC).
template <bool kDec, typename T>
inline T inc_dec(uint32_t& fl, T a) {
  const T r = static_cast<T>(kDec ? a - 1 : a + 1);
  const uint32_t f = kDec ? flags_sub<T>(a, 1, r, false) : flags_add<T>(a, 1, r, false);
  fl = with_status(fl, (f & ~flags::CF) | (fl & flags::CF));
  return r;
}

template <bool kDec>
struct IncDecRm {  // FE /0 /1, FF /0 /1
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    uint32_t fl = cpu.state().eflags;
    dst.write(inc_dec<kDec, T>(fl, dst.read()));
    cpu.state().eflags = fl;
  }
};

template <bool kDec>
struct IncDecReg {  // 40+r, 48+r: the register is in the opcode
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const unsigned r = insn.op & 7;
    uint32_t fl = cpu.state().eflags;
    reg_write<T>(cpu, r, inc_dec<kDec, T>(fl, reg_read<T>(cpu, r)));
    cpu.state().eflags = fl;
  }
};

// NEG is 0 - x with the flags of SUB: CF is set unless the operand was zero.
struct Neg {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    const T a = dst.read();
    const T r = static_cast<T>(0 - a);
    dst.write(r);
    cpu.state().eflags = with_status(cpu.state().eflags, flags_sub<T>(0, a, r, false));
  }
};

struct Not {  // no flags change
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    dst.write(static_cast<T>(~dst.read()));
  }
};

template <typename Op>
void register_b_v(HandlerTable& t, uint16_t op_b, uint16_t op_v) {
  t.set(op_b, &Op::template run<uint8_t>);
  t.set(op_v, &by_opsize<Op>);
}

template <size_t... R>
void register_rows(HandlerTable& t, std::index_sequence<R...>) {
  constexpr uint16_t kRow = 8;
  (register_b_v<AluEG<static_cast<Alu>(R)>>(t, R * kRow + 0, R * kRow + 1), ...);
  (register_b_v<AluGE<static_cast<Alu>(R)>>(t, R * kRow + 2, R * kRow + 3), ...);
  (register_b_v<AluAccImm<static_cast<Alu>(R)>>(t, R * kRow + 4, R * kRow + 5), ...);
  // 82 is an alias of 80 outside 64-bit mode (SDM Vol. 2D, table A-6).
  (t.set_group(0x80, R, &AluEImm<static_cast<Alu>(R)>::template run<uint8_t>), ...);
  (t.set_group(0x82, R, &AluEImm<static_cast<Alu>(R)>::template run<uint8_t>), ...);
  (t.set_group(0x81, R, &by_opsize<AluEImm<static_cast<Alu>(R)>>), ...);
  (t.set_group(0x83, R, &by_opsize<AluEImm<static_cast<Alu>(R)>>), ...);
}

}  // namespace

void register_alu(HandlerTable& t) {
  register_rows(t, std::make_index_sequence<8>{});

  register_b_v<AluEG<Alu::kTest>>(t, 0x84, 0x85);
  register_b_v<AluAccImm<Alu::kTest>>(t, 0xA8, 0xA9);
  // F6/F7 /1 is an undocumented alias of /0 that every IA-32 processor decodes as TEST.
  for (uint8_t r : {0, 1}) {
    t.set_group(0xF6, r, &AluEImm<Alu::kTest>::run<uint8_t>);
    t.set_group(0xF7, r, &by_opsize<AluEImm<Alu::kTest>>);
  }
  t.set_group(0xF6, 2, &Not::run<uint8_t>);
  t.set_group(0xF7, 2, &by_opsize<Not>);
  t.set_group(0xF6, 3, &Neg::run<uint8_t>);
  t.set_group(0xF7, 3, &by_opsize<Neg>);

  for (uint16_t r = 0; r < 8; ++r) {
    t.set(0x40 + r, &by_opsize<IncDecReg<false>>);
    t.set(0x48 + r, &by_opsize<IncDecReg<true>>);
  }
  t.set_group(0xFE, 0, &IncDecRm<false>::run<uint8_t>);
  t.set_group(0xFE, 1, &IncDecRm<true>::run<uint8_t>);
  t.set_group(0xFF, 0, &by_opsize<IncDecRm<false>>);
  t.set_group(0xFF, 1, &by_opsize<IncDecRm<true>>);
}

}  // namespace vmlab::cpu
