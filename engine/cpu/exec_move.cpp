// Data movement: MOV MOVZX MOVSX XCHG CMPXCHG CMPXCHG8B XADD LEA BSWAP CMOVcc CBW/CWDE
// CWD/CDQ XLAT (SDM Vol. 1, 7.3.1; Vol. 2 for each instruction). MOV to and from
// segment and control registers belongs to exec_segment.cpp and exec_system.cpp.
//
// Exchanges write memory before registers: a fault on the memory write then leaves the
// registers as they were and the instruction restarts cleanly.
#include <cstdint>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"

namespace vmlab::cpu {

namespace {

struct MovEG {  // 88 89: r/m <- reg
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    RmOperand<T>(cpu, insn).write(reg_read<T>(cpu, insn.reg));
  }
};

struct MovGE {  // 8A 8B: reg <- r/m
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    reg_write<T>(cpu, insn.reg, RmOperand<T>(cpu, insn).read());
  }
};

struct MovEImm {  // C6 C7 /0
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    RmOperand<T>(cpu, insn).write(static_cast<T>(insn.imm));
  }
};

struct MovRegImm {  // B0+r, B8+r
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    reg_write<T>(cpu, insn.op & 7, static_cast<T>(insn.imm));
  }
};

// A0-A3: the accumulator and a memory offset given in the instruction (moffs, no ModRM).
template <bool kStore>
struct MovMoffs {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    if constexpr (kStore) {
      mem_write<T>(cpu, insn.seg, insn.disp, reg_read<T>(cpu, EAX));
    } else {
      reg_write<T>(cpu, EAX, mem_read<T>(cpu, insn.seg, insn.disp));
    }
  }
};

// MOVZX/MOVSX reg, r/m8 or r/m16 (0F B6 B7 BE BF). S is the source width.
template <typename S, bool kSigned>
struct MovExtend {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const S v = RmOperand<S>(cpu, insn).read();
    reg_write<T>(cpu, insn.reg, kSigned ? static_cast<T>(sext(v)) : static_cast<T>(v));
  }
};

struct Xchg {  // 86 87: r/m <-> reg
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> rm(cpu, insn);
    const T a = rm.read();
    const T b = reg_read<T>(cpu, insn.reg);
    rm.write(b);
    reg_write<T>(cpu, insn.reg, a);
  }
};

struct XchgAcc {  // 91-97: eAX <-> reg (90 is NOP, in exec_misc.cpp)
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const unsigned r = insn.op & 7;
    const T a = reg_read<T>(cpu, EAX);
    reg_write<T>(cpu, EAX, reg_read<T>(cpu, r));
    reg_write<T>(cpu, r, a);
  }
};

// CMPXCHG r/m, reg (0F B0 B1): compares the accumulator with the destination and sets
// the flags as CMP accumulator, destination does. Equal: destination <- reg. Not equal:
// accumulator <- destination, and a memory destination is written back with its own
// value, as the processor always performs the write cycle (SDM Vol. 2A, CMPXCHG).
struct Cmpxchg {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    const T d = dst.read();
    const T acc = reg_read<T>(cpu, EAX);
    const T r = static_cast<T>(acc - d);
    const uint32_t f = flags_sub<T>(acc, d, r, false);
    if (acc == d) {
      dst.write(reg_read<T>(cpu, insn.reg));
    } else {
      if (dst.is_mem()) dst.write(d);
      reg_write<T>(cpu, EAX, d);
    }
    cpu.state().eflags = with_status(cpu.state().eflags, f);
  }
};

// CMPXCHG8B m64 (0F C7 /1): EDX:EAX against m64; equal: m64 <- ECX:EBX and ZF = 1;
// else EDX:EAX <- m64 and ZF = 0, with m64 written back. Only ZF changes. A register
// operand is #UD.
void cmpxchg8b(Cpu& cpu, const Insn& insn) {
  if (!insn.mem()) cpu.fault_ud();
  const uint32_t ea = effective_address(cpu, insn);
  const uint32_t ea_hi = insn.a16() ? ((ea + 4) & 0xFFFF) : ea + 4;
  const uint32_t lo = cpu.read32(insn.seg, ea);
  const uint32_t hi = cpu.read32(insn.seg, ea_hi);
  // Check that all eight bytes are writable (segment and paging) before writing any, so
  // a fault on the second half cannot leave the first half written.
  const bool user = cpu.state().cpl == 3;
  cpu.translate(cpu.linear(insn.seg, ea, 4, Access::kWrite), Access::kWrite, user);
  cpu.translate(cpu.linear(insn.seg, ea_hi, 4, Access::kWrite) + 3, Access::kWrite, user);
  uint32_t& fl = cpu.state().eflags;
  if (lo == cpu.r32(EAX) && hi == cpu.r32(EDX)) {
    cpu.write32(insn.seg, ea, cpu.r32(EBX));
    cpu.write32(insn.seg, ea_hi, cpu.r32(ECX));
    fl |= flags::ZF;
  } else {
    cpu.write32(insn.seg, ea, lo);
    cpu.write32(insn.seg, ea_hi, hi);
    cpu.set_r32(EAX, lo);
    cpu.set_r32(EDX, hi);
    fl &= ~flags::ZF;
  }
}

// XADD r/m, reg (0F C0 C1): temp <- dest + src; src <- dest; dest <- temp. With the same
// register as both operands the destination's write comes last and wins.
struct Xadd {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const RmOperand<T> dst(cpu, insn);
    const T d = dst.read();
    const T s = reg_read<T>(cpu, insn.reg);
    const T sum = static_cast<T>(d + s);
    if (dst.is_mem()) {
      dst.write(sum);
      reg_write<T>(cpu, insn.reg, d);
    } else {
      reg_write<T>(cpu, insn.reg, d);
      dst.write(sum);
    }
    cpu.state().eflags = with_status(cpu.state().eflags, flags_add<T>(d, s, sum, false));
  }
};

// LEA reg, m (8D): the offset itself; no memory access. A register source is #UD.
void lea(Cpu& cpu, const Insn& insn) {
  if (!insn.mem()) cpu.fault_ud();
  write_regv(cpu, insn, insn.reg, effective_address(cpu, insn));
}

// BSWAP r32 (0F C8+r). With a 16-bit operand size the result is undefined; Intel
// processors clear the low word (the upper half is untouched), and so do we.
void bswap(Cpu& cpu, const Insn& insn) {
  const unsigned r = insn.op & 7;
  if (insn.o16()) {
    cpu.set_r16(r, 0);
  } else {
    cpu.set_r32(r, __builtin_bswap32(cpu.r32(r)));
  }
}

// CMOVcc reg, r/m (0F 40-4F). The source is read whether or not the condition holds, so
// a bad memory operand faults either way, as on the hardware (SDM Vol. 2A, CMOVcc).
template <unsigned CC>
struct Cmov {
  template <typename T>
  static void run(Cpu& cpu, const Insn& insn) {
    const T v = RmOperand<T>(cpu, insn).read();
    if (condition_holds(cpu.state().eflags, CC)) reg_write<T>(cpu, insn.reg, v);
  }
};

// CBW / CWDE (98): sign-extend AL into AX, or AX into EAX.
void cbw(Cpu& cpu, const Insn& insn) {
  if (insn.o16()) {
    cpu.set_r16(EAX, static_cast<uint16_t>(static_cast<int8_t>(cpu.r8(0))));
  } else {
    cpu.set_r32(EAX, static_cast<uint32_t>(static_cast<int16_t>(cpu.r16(EAX))));
  }
}

// CWD / CDQ (99): DX or EDX <- the sign of AX or EAX.
void cwd(Cpu& cpu, const Insn& insn) {
  if (insn.o16()) {
    cpu.set_r16(EDX, (cpu.r16(EAX) & 0x8000) ? 0xFFFF : 0);
  } else {
    cpu.set_r32(EDX, (cpu.r32(EAX) & 0x80000000u) ? 0xFFFFFFFFu : 0);
  }
}

// XLAT (D7): AL <- [seg:EBX + AL], or [seg:BX + AL] with a 16-bit address size.
void xlat(Cpu& cpu, const Insn& insn) {
  uint32_t off = cpu.r32(EBX) + cpu.r8(0);
  if (insn.a16()) off &= 0xFFFF;
  cpu.set_r8(0, cpu.read8(insn.seg, off));
}

template <typename Op>
void register_b_v(HandlerTable& t, uint16_t op_b, uint16_t op_v) {
  t.set(op_b, &Op::template run<uint8_t>);
  t.set(op_v, &by_opsize<Op>);
}

template <size_t... CC>
void register_cmov(HandlerTable& t, std::index_sequence<CC...>) {
  (t.set(kTwoByte | (0x40 + CC), &by_opsize<Cmov<CC>>), ...);
}

}  // namespace

void register_move(HandlerTable& t) {
  register_b_v<MovEG>(t, 0x88, 0x89);
  register_b_v<MovGE>(t, 0x8A, 0x8B);
  register_b_v<MovMoffs<false>>(t, 0xA0, 0xA1);
  register_b_v<MovMoffs<true>>(t, 0xA2, 0xA3);
  t.set_group(0xC6, 0, &MovEImm::run<uint8_t>);
  t.set_group(0xC7, 0, &by_opsize<MovEImm>);
  for (uint16_t r = 0; r < 8; ++r) {
    t.set(0xB0 + r, &MovRegImm::run<uint8_t>);
    t.set(0xB8 + r, &by_opsize<MovRegImm>);
  }
  t.set(kTwoByte | 0xB6, &by_opsize<MovExtend<uint8_t, false>>);
  t.set(kTwoByte | 0xB7, &by_opsize<MovExtend<uint16_t, false>>);
  t.set(kTwoByte | 0xBE, &by_opsize<MovExtend<uint8_t, true>>);
  t.set(kTwoByte | 0xBF, &by_opsize<MovExtend<uint16_t, true>>);

  register_b_v<Xchg>(t, 0x86, 0x87);
  for (uint16_t r = 1; r < 8; ++r) t.set(0x90 + r, &by_opsize<XchgAcc>);
  register_b_v<Cmpxchg>(t, kTwoByte | 0xB0, kTwoByte | 0xB1);
  t.set_group(kTwoByte | 0xC7, 1, &cmpxchg8b);
  register_b_v<Xadd>(t, kTwoByte | 0xC0, kTwoByte | 0xC1);

  t.set(0x8D, &lea);
  for (uint16_t r = 0; r < 8; ++r) t.set(kTwoByte | (0xC8 + r), &bswap);
  register_cmov(t, std::make_index_sequence<16>{});
  t.set(0x98, &cbw);
  t.set(0x99, &cwd);
  t.set(0xD7, &xlat);
}

}  // namespace vmlab::cpu
