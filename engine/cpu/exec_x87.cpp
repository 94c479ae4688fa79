// The x87 FPU (escape opcodes D8-DF, SDM Vol. 1 chapter 8; Vol. 2 for each instruction;
// the opcode maps of Vol. 2D, tables ). Real kernels need one: Linux's
// decompressor probes it with FNINIT/FNSTSW, Linux stops early without one ("no FPU found
// and no math emulation present"), checks the Pentium FDIV bug with FDIV, and saves and
// restores the state with FNSAVE/FRSTOR; memtest86+ runs FNINIT at entry.
//
// What is modeled: the register stack with its tags, the control/status words, the
// arithmetic, load/store, compare, constant, control and state instructions of a P6-class
// x87 (FCMOVcc, FCOMI), computed in the host's 80-bit extended format with the rounding
// control of FCW. Masked exceptions set their flags in FSW and give the masked response
// the host's x87 gives (so results are those of the hardware). Not modeled, and stopping
// the run as unmodeled when used: the transcendental instructions (FSIN, FPTAN, F2XM1, ...),
// packed BCD (FBLD, FBSTP), FXTRACT/FPREM/FPREM1; precision control narrower than 64 bits
// (FCW.PC) is treated as 64 bits; an unmasked exception sets ES and B and is reported as
// #MF by the next waiting instruction, also with CR0.NE clear (the PC's FERR#/IRQ 13 path
// is not modeled); the last-instruction pointers read as 0.
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/operands.h"

namespace vmlab::cpu {

static_assert(std::numeric_limits<long double>::digits == 64,
              "the x87 model keeps registers in the host's 80-bit long double");

namespace {

using F = long double;

// FSW bits.
constexpr uint16_t kIE = 1, kDE = 2, kZE = 4, kOE = 8, kUE = 16, kPE = 32, kSF = 64, kES = 128;
constexpr uint16_t kC0 = 1u << 8, kC1 = 1u << 9, kC2 = 1u << 10, kC3 = 1u << 14, kB = 1u << 15;
constexpr uint16_t kCc = kC0 | kC1 | kC2 | kC3;

X87State& fpu(Cpu& cpu) {
  return cpu.state().fpu;
}

// Reports an unmasked exception pending from an earlier instruction (SDM Vol. 1, 8.7) as
// #MF. With CR0.NE clear a PC reports it externally instead (FERR# to IRQ 13, SDM Vol. 1,
// appendix D); that path is not modeled and #MF is raised whatever CR0.NE says, so that
// every mode agrees (the deprivileged monitors run guests with the real CR0.NE set).
void check_pending(Cpu& cpu) {
  if (fpu(cpu).sw & kES) cpu.fault(vec::MF);
}

// Every x87 instruction first: CR0.EM or CR0.TS gives #NM (SDM Vol. 3A, table 2-2), then
// a waiting instruction reports a pending exception.
void enter(Cpu& cpu, bool waiting) {
  const uint32_t cr0 = cpu.state().cr0;
  if (cr0 & (cr0::EM | cr0::TS)) cpu.fault(vec::NM);
  if (waiting) check_pending(cpu);
}

void raise(Cpu& cpu, uint16_t flags) {
  X87State& f = fpu(cpu);
  f.sw |= flags;
  if (f.sw & ~f.cw & 0x3F) f.sw |= kES | kB;
}

F indefinite() {
  return -std::numeric_limits<F>::quiet_NaN();  // the "real indefinite" QNaN
}

unsigned phys(Cpu& cpu, unsigned i) {
  return (fpu(cpu).top + i) & 7;
}
bool empty(Cpu& cpu, unsigned i) {
  return !(fpu(cpu).full & (1u << phys(cpu, i)));
}
// ST(i) as a source: an empty register is a stack underflow (IE and SF, C1 = 0), whose
// masked response is the indefinite.
F get(Cpu& cpu, unsigned i) {
  if (empty(cpu, i)) {
    fpu(cpu).sw &= ~kC1;
    raise(cpu, kIE | kSF);
    return indefinite();
  }
  return fpu(cpu).st[phys(cpu, i)];
}
void set(Cpu& cpu, unsigned i, F v) {
  const unsigned r = phys(cpu, i);
  fpu(cpu).st[r] = v;
  fpu(cpu).full |= static_cast<uint8_t>(1u << r);
}
void push(Cpu& cpu, F v) {
  X87State& f = fpu(cpu);
  f.top = (f.top - 1) & 7;
  if (f.full & (1u << f.top)) {  // overflow: IE, SF and C1 = 1, the indefinite is loaded
    f.sw |= kC1;
    raise(cpu, kIE | kSF);
    v = indefinite();
  }
  set(cpu, 0, v);
}
void pop(Cpu& cpu) {
  X87State& f = fpu(cpu);
  f.full &= static_cast<uint8_t>(~(1u << f.top));
  f.top = (f.top + 1) & 7;
}

// Runs `op` on the host's x87 with FCW's rounding control, and folds the host's exception
// flags into FSW.
template <typename Op>
auto with_host(Cpu& cpu, Op op) {
  static constexpr int kRound[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  const int saved = std::fegetround();
  std::feclearexcept(FE_ALL_EXCEPT);
  std::fesetround(kRound[(fpu(cpu).cw >> 10) & 3]);
  const auto result = op();
  const int e = std::fetestexcept(FE_ALL_EXCEPT);
  std::fesetround(saved);
  uint16_t flags = 0;
  if (e & FE_INVALID) flags |= kIE;
  if (e & FE_DIVBYZERO) flags |= kZE;
  if (e & FE_OVERFLOW) flags |= kOE;
  if (e & FE_UNDERFLOW) flags |= kUE;
  if (e & FE_INEXACT) flags |= kPE;
  if (flags) raise(cpu, flags);
  return result;
}

// The eight arithmetic operations of the D8/DC/DA/DE rows, by ModRM.reg: dst = dst op src.
F arith(Cpu& cpu, unsigned reg, F dst, F src) {
  return with_host(cpu, [&]() -> F {
    volatile F a = dst, b = src;
    switch (reg) {
      case 0: return a + b;
      case 1: return a * b;
      case 4: return a - b;
      case 5: return b - a;
      case 6: return a / b;
      case 7: return b / a;
    }
    return a;
  });
}

// FCOM/FUCOM: C3 C2 C0 = 000 greater, 001 less, 100 equal, 111 unordered.
void compare(Cpu& cpu, F a, F b, bool unordered_quiet) {
  X87State& f = fpu(cpu);
  f.sw &= ~kCc;
  if (std::isnan(a) || std::isnan(b)) {
    f.sw |= kC0 | kC2 | kC3;
    const bool signaling = false;  // host long double NaNs reaching here are quiet
    if (!unordered_quiet || signaling) raise(cpu, kIE);
  } else if (a < b) {
    f.sw |= kC0;
  } else if (a == b) {
    f.sw |= kC3;
  }
}
// FCOMI/FUCOMI: ZF PF CF as C3 C2 C0; OF SF AF cleared.
void compare_eflags(Cpu& cpu, F a, F b, bool unordered_quiet) {
  uint32_t& fl = cpu.state().eflags;
  fl &= ~(flags::ZF | flags::PF | flags::CF | flags::OF | flags::SF | flags::AF);
  fpu(cpu).sw &= ~kC1;
  if (std::isnan(a) || std::isnan(b)) {
    fl |= flags::ZF | flags::PF | flags::CF;
    if (!unordered_quiet) raise(cpu, kIE);
  } else if (a < b) {
    fl |= flags::CF;
  } else if (a == b) {
    fl |= flags::ZF;
  }
}

// Memory operands.
uint32_t ea(Cpu& cpu, const Insn& insn) {
  return effective_address(cpu, insn);
}
uint64_t read64(Cpu& cpu, const Insn& insn, uint32_t off = 0) {
  const uint32_t a = ea(cpu, insn) + off;
  const uint64_t lo = cpu.read32(insn.seg, a);
  return lo | uint64_t{cpu.read32(insn.seg, a + 4)} << 32;
}
void write64(Cpu& cpu, const Insn& insn, uint64_t v, uint32_t off = 0) {
  const uint32_t a = ea(cpu, insn) + off;
  cpu.write32(insn.seg, a, static_cast<uint32_t>(v));
  cpu.write32(insn.seg, a + 4, static_cast<uint32_t>(v >> 32));
}
F read_m32fp(Cpu& cpu, const Insn& insn) {
  const uint32_t bits = cpu.read32(insn.seg, ea(cpu, insn));
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}
F read_m64fp(Cpu& cpu, const Insn& insn) {
  const uint64_t bits = read64(cpu, insn);
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}
F decode80(const uint8_t (&b)[10]) {
  F v = 0;
  std::memcpy(&v, b, 10);
  return v;
}
void encode80(F v, uint8_t (&b)[10]) {
  std::memcpy(b, &v, 10);
}
F read_m80(Cpu& cpu, uint8_t seg, uint32_t a) {
  uint8_t b[10];
  for (unsigned i = 0; i < 10; ++i) b[i] = cpu.read8(seg, a + i);
  return decode80(b);
}
void write_m80(Cpu& cpu, uint8_t seg, uint32_t a, F v) {
  uint8_t b[10];
  encode80(v, b);
  for (unsigned i = 0; i < 10; ++i) cpu.write8(seg, a + i, b[i]);
}
void write_m32fp(Cpu& cpu, const Insn& insn, F v) {
  const float f = with_host(cpu, [&] {
    volatile F x = v;
    return static_cast<float>(x);
  });
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  cpu.write32(insn.seg, ea(cpu, insn), bits);
}
void write_m64fp(Cpu& cpu, const Insn& insn, F v) {
  const double d = with_host(cpu, [&] {
    volatile F x = v;
    return static_cast<double>(x);
  });
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  write64(cpu, insn, bits);
}

// FIST: rounds by FCW.RC; out of range or NaN is IE with the integer indefinite (the
// most negative value) as the masked response.
template <typename T>
T to_int(Cpu& cpu, F v) {
  const F r = with_host(cpu, [&] {
    volatile F x = v;
    return std::nearbyint(x);
  });
  if (std::isnan(r) || r < static_cast<F>(std::numeric_limits<T>::min()) ||
      r > static_cast<F>(std::numeric_limits<T>::max())) {
    raise(cpu, kIE);
    return std::numeric_limits<T>::min();
  }
  if (r != v) raise(cpu, kPE);
  return static_cast<T>(r);
}

void store_int(Cpu& cpu, const Insn& insn, unsigned bytes, F v) {
  const uint32_t a = ea(cpu, insn);
  if (bytes == 2) {
    cpu.write16(insn.seg, a, static_cast<uint16_t>(to_int<int16_t>(cpu, v)));
  } else if (bytes == 4) {
    cpu.write32(insn.seg, a, static_cast<uint32_t>(to_int<int32_t>(cpu, v)));
  } else {
    write64(cpu, insn, static_cast<uint64_t>(to_int<int64_t>(cpu, v)));
  }
}

// The full tag word: 00 valid, 01 zero, 10 special (NaN, infinity, denormal), 11 empty.
uint16_t tag_word(Cpu& cpu) {
  const X87State& f = fpu(cpu);
  uint16_t tw = 0;
  for (unsigned r = 0; r < 8; ++r) {
    unsigned tag = 3;
    if (f.full & (1u << r)) {
      const F v = f.st[r];
      if (v == 0) {
        tag = 1;
      } else if (!std::isnormal(v)) {
        tag = 2;
      } else {
        tag = 0;
      }
    }
    tw |= static_cast<uint16_t>(tag << (2 * r));
  }
  return tw;
}
uint16_t status_word(Cpu& cpu) {
  const X87State& f = fpu(cpu);
  return static_cast<uint16_t>((f.sw & ~0x3800u) | (f.top & 7u) << 11);
}

void init(Cpu& cpu) {
  fpu(cpu) = X87State{};
}

// FNSTENV/FLDENV in 32-bit protected-mode format (28 bytes, SDM Vol. 1, figure 8-9); with
// a 16-bit operand size the 14-byte format (figure 8-11).
uint32_t store_env(Cpu& cpu, const Insn& insn) {
  const uint32_t a = ea(cpu, insn);
  const X87State& f = fpu(cpu);
  if (insn.o16()) {
    cpu.write16(insn.seg, a, f.cw);
    cpu.write16(insn.seg, a + 2, status_word(cpu));
    cpu.write16(insn.seg, a + 4, tag_word(cpu));
    for (uint32_t o = 6; o < 14; o += 2) cpu.write16(insn.seg, a + o, 0);
    return 14;
  }
  cpu.write32(insn.seg, a, 0xFFFF0000u | f.cw);
  cpu.write32(insn.seg, a + 4, 0xFFFF0000u | status_word(cpu));
  cpu.write32(insn.seg, a + 8, 0xFFFF0000u | tag_word(cpu));
  cpu.write32(insn.seg, a + 12, f.fip);
  cpu.write32(insn.seg, a + 16, f.fcs | uint32_t{f.fop} << 16);
  cpu.write32(insn.seg, a + 20, f.fdp);
  cpu.write32(insn.seg, a + 24, 0xFFFF0000u | f.fds);
  return 28;
}
uint32_t load_env(Cpu& cpu, const Insn& insn) {
  const uint32_t a = ea(cpu, insn);
  const unsigned w = insn.o16() ? 2 : 4;
  const uint16_t cw = cpu.read16(insn.seg, a);
  const uint16_t sw = cpu.read16(insn.seg, a + w);
  const uint16_t tw = cpu.read16(insn.seg, a + 2 * w);
  X87State& f = fpu(cpu);
  f.cw = cw;
  f.top = (sw >> 11) & 7;
  f.sw = sw & ~0x3800u;
  f.full = 0;
  for (unsigned r = 0; r < 8; ++r) {
    if (((tw >> (2 * r)) & 3) != 3) f.full |= static_cast<uint8_t>(1u << r);
  }
  // The summary bits follow the loaded flags and mask (SDM Vol. 1, 8.1.3.1).
  f.sw &= ~(kES | kB);
  if (f.sw & ~f.cw & 0x3F) f.sw |= kES | kB;
  return insn.o16() ? 14 : 28;
}

[[noreturn]] void unmodeled(Cpu& cpu, const Insn& insn) {
  static const char hexd[] = "0123456789ABCDEF";
  const unsigned modrm = insn.mod << 6 | insn.reg << 3 | insn.rm;
  std::string what = "the x87 instruction ";
  what += hexd[(insn.op >> 4) & 0xF];
  what += hexd[insn.op & 0xF];
  what += ' ';
  what += hexd[modrm >> 4];
  what += hexd[modrm & 0xF];
  what += insn.mem() ? " (memory form)" : "";
  cpu.unsupported(what +
                  " (transcendental, BCD and partial-remainder x87 instructions are "
                  "not modeled)");
}

// Memory forms of D8 (m32fp), DC (m64fp), DA (m32int), DE (m16int): arithmetic with ST(0),
// reg 2 and 3 compare (and pop).
void arith_memory(Cpu& cpu, const Insn& insn, F src) {
  if (insn.reg == 2 || insn.reg == 3) {
    compare(cpu, get(cpu, 0), src, false);
    if (insn.reg == 3) pop(cpu);
    return;
  }
  set(cpu, 0, arith(cpu, insn.reg, get(cpu, 0), src));
}

void esc_d8(Cpu& cpu, const Insn& insn) {
  enter(cpu, true);
  if (insn.mem()) return arith_memory(cpu, insn, read_m32fp(cpu, insn));
  // ST(0) = ST(0) op ST(i); D8 D0+i FCOM, D8 D8+i FCOMP.
  const F src = get(cpu, insn.rm);
  if (insn.reg == 2 || insn.reg == 3) {
    compare(cpu, get(cpu, 0), src, false);
    if (insn.reg == 3) pop(cpu);
    return;
  }
  set(cpu, 0, arith(cpu, insn.reg, get(cpu, 0), src));
}

void esc_dc(Cpu& cpu, const Insn& insn) {
  enter(cpu, true);
  if (insn.mem()) return arith_memory(cpu, insn, read_m64fp(cpu, insn));
  // ST(i) = ST(i) op ST(0); in this row E0 is FSUBR and E8 FSUB, F0 FDIVR and F8 FDIV.
  static constexpr unsigned kSwap[8] = {0, 1, 2, 3, 5, 4, 7, 6};
  if (insn.reg == 2 || insn.reg == 3) {  // FCOM/FCOMP aliases
    compare(cpu, get(cpu, 0), get(cpu, insn.rm), false);
    if (insn.reg == 3) pop(cpu);
    return;
  }
  set(cpu, insn.rm, arith(cpu, kSwap[insn.reg], get(cpu, insn.rm), get(cpu, 0)));
}

void esc_de(Cpu& cpu, const Insn& insn) {
  enter(cpu, true);
  if (insn.mem()) {
    const auto v = static_cast<int16_t>(cpu.read16(insn.seg, ea(cpu, insn)));
    return arith_memory(cpu, insn, static_cast<F>(v));
  }
  if (insn.reg == 3) {  // DE D9: FCOMPP
    if (insn.rm != 1) cpu.fault_ud();
    compare(cpu, get(cpu, 0), get(cpu, 1), false);
    pop(cpu);
    pop(cpu);
    return;
  }
  if (insn.reg == 2) {  // DE D0+i: FCOMP alias
    compare(cpu, get(cpu, 0), get(cpu, insn.rm), false);
    pop(cpu);
    return;
  }
  static constexpr unsigned kSwap[8] = {0, 1, 2, 3, 5, 4, 7, 6};
  set(cpu, insn.rm, arith(cpu, kSwap[insn.reg], get(cpu, insn.rm), get(cpu, 0)));
  pop(cpu);
}

bool fcmov_condition(Cpu& cpu, unsigned reg) {
  const uint32_t fl = cpu.state().eflags;
  switch (reg & 3) {
    case 0: return fl & flags::CF;
    case 1: return fl & flags::ZF;
    case 2: return fl & (flags::CF | flags::ZF);
    default: return fl & flags::PF;
  }
}

void esc_da(Cpu& cpu, const Insn& insn) {
  enter(cpu, true);
  if (insn.mem()) {
    const auto v = static_cast<int32_t>(cpu.read32(insn.seg, ea(cpu, insn)));
    return arith_memory(cpu, insn, static_cast<F>(v));
  }
  if (insn.reg < 4) {  // FCMOVB FCMOVE FCMOVBE FCMOVU
    const F v = get(cpu, insn.rm);
    if (fcmov_condition(cpu, insn.reg)) set(cpu, 0, v);
    return;
  }
  if (insn.reg == 5 && insn.rm == 1) {  // DA E9: FUCOMPP
    compare(cpu, get(cpu, 0), get(cpu, 1), true);
    pop(cpu);
    pop(cpu);
    return;
  }
  cpu.fault_ud();
}

void esc_d9(Cpu& cpu, const Insn& insn) {
  if (insn.mem()) {
    // FLDENV, FNSTENV, FLDCW, FNSTCW do not wait; the rest do.
    enter(cpu, insn.reg < 4);
    switch (insn.reg) {
      case 0: return push(cpu, read_m32fp(cpu, insn));
      case 2: return write_m32fp(cpu, insn, get(cpu, 0));
      case 3: write_m32fp(cpu, insn, get(cpu, 0)); return pop(cpu);
      case 4: load_env(cpu, insn); return;
      case 5: {
        X87State& f = fpu(cpu);
        f.cw = cpu.read16(insn.seg, ea(cpu, insn));
        f.sw &= ~(kES | kB);
        if (f.sw & ~f.cw & 0x3F) f.sw |= kES | kB;
        return;
      }
      case 6:
        store_env(cpu, insn);
        fpu(cpu).cw |= 0x3F;  // FNSTENV masks every exception after storing
        return;
      case 7: cpu.write16(insn.seg, ea(cpu, insn), fpu(cpu).cw); return;
    }
    cpu.fault_ud();  // D9 /1
  }
  enter(cpu, true);
  const unsigned sub = insn.reg << 3 | insn.rm;
  switch (insn.reg) {
    case 0: return push(cpu, get(cpu, insn.rm));  // FLD ST(i)
    case 1: {                                     // FXCH ST(i)
      const F a = get(cpu, 0), b = get(cpu, insn.rm);
      set(cpu, 0, b);
      set(cpu, insn.rm, a);
      fpu(cpu).sw &= ~kC1;
      return;
    }
    case 2:
      if (insn.rm == 0) return;  // FNOP
      cpu.fault_ud();
    case 3: {  // D9 D8+i: FSTP1, an alias of FSTP ST(i)
      set(cpu, insn.rm, get(cpu, 0));
      return pop(cpu);
    }
  }
  X87State& f = fpu(cpu);
  switch (sub) {
    case 040: return set(cpu, 0, -get(cpu, 0));               // FCHS
    case 041: return set(cpu, 0, std::fabs(get(cpu, 0)));     // FABS
    case 044: return compare(cpu, get(cpu, 0), 0.0L, false);  // FTST
    case 045: {                                               // FXAM
      f.sw &= ~kCc;
      const bool neg = std::signbit(f.st[phys(cpu, 0)]);
      if (neg) f.sw |= kC1;
      if (empty(cpu, 0)) {
        f.sw |= kC3 | kC0;
        return;
      }
      const F v = f.st[phys(cpu, 0)];
      switch (std::fpclassify(v)) {
        case FP_NAN: f.sw |= kC0; break;
        case FP_INFINITE: f.sw |= kC2 | kC0; break;
        case FP_ZERO: f.sw |= kC3; break;
        case FP_SUBNORMAL: f.sw |= kC3 | kC2; break;
        default: f.sw |= kC2; break;
      }
      return;
    }
    case 050: return push(cpu, 1.0L);                                              // FLD1
    case 051: return push(cpu, 3.321928094887362347870319429489390175864831393L);  // L2T
    case 052: return push(cpu, 1.442695040888963407359924681001892137426645954L);  // L2E
    case 053: return push(cpu, 3.141592653589793238462643383279502884197169399L);  // PI
    case 054: return push(cpu, 0.301029995663981195213738894724493026768189881L);  // LG2
    case 055: return push(cpu, 0.693147180559945309417232121458176568075500134L);  // LN2
    case 056: return push(cpu, 0.0L);                                              // FLDZ
    case 066:
      f.top = (f.top - 1) & 7;
      f.sw &= ~kC1;
      return;  // FDECSTP
    case 067:
      f.top = (f.top + 1) & 7;
      f.sw &= ~kC1;
      return;    // FINCSTP
    case 072: {  // FSQRT
      const F v = get(cpu, 0);
      return set(cpu, 0, with_host(cpu, [&]() -> F {
                   volatile F x = v;
                   return std::sqrt(x);
                 }));
    }
    case 074: {  // FRNDINT
      const F v = get(cpu, 0);
      const F r = with_host(cpu, [&]() -> F {
        volatile F x = v;
        return std::nearbyint(x);
      });
      if (r != v) raise(cpu, kPE);
      return set(cpu, 0, r);
    }
    case 075: {  // FSCALE: ST(0) * 2^trunc(ST(1))
      const F v = get(cpu, 0), s = get(cpu, 1);
      return set(cpu, 0, with_host(cpu, [&]() -> F {
                   volatile F x = v;
                   return std::scalbn(x, static_cast<int>(std::trunc(s)));
                 }));
    }
  }
  unmodeled(cpu, insn);
}

void esc_db(Cpu& cpu, const Insn& insn) {
  if (insn.mem()) {
    enter(cpu, true);
    switch (insn.reg) {
      case 0:
        return push(cpu, static_cast<F>(static_cast<int32_t>(cpu.read32(insn.seg, ea(cpu, insn)))));
      case 2: return store_int(cpu, insn, 4, get(cpu, 0));
      case 3: store_int(cpu, insn, 4, get(cpu, 0)); return pop(cpu);
      case 5: return push(cpu, read_m80(cpu, insn.seg, ea(cpu, insn)));
      case 7: write_m80(cpu, insn.seg, ea(cpu, insn), get(cpu, 0)); return pop(cpu);
    }
    cpu.fault_ud();  // /1 FISTTP is SSE3; /4 and /6 are reserved
  }
  if (insn.reg == 4) {
    switch (insn.rm) {
      case 0:
      case 1:
      case 4: enter(cpu, false); return;  // FENI, FDISI, FSETPM: no-ops since the 387
      case 2:                             // FNCLEX
        enter(cpu, false);
        fpu(cpu).sw &= ~(0x3Fu | kSF | kES | kB);
        return;
      case 3: enter(cpu, false); return init(cpu);  // FNINIT
    }
    cpu.fault_ud();
  }
  enter(cpu, true);
  if (insn.reg < 4) {  // FCMOVNB FCMOVNE FCMOVNBE FCMOVNU
    const F v = get(cpu, insn.rm);
    if (!fcmov_condition(cpu, insn.reg)) set(cpu, 0, v);
    return;
  }
  if (insn.reg == 5 || insn.reg == 6) {  // FUCOMI, FCOMI
    return compare_eflags(cpu, get(cpu, 0), get(cpu, insn.rm), insn.reg == 5);
  }
  cpu.fault_ud();
}

void esc_dd(Cpu& cpu, const Insn& insn) {
  if (insn.mem()) {
    // FRSTOR waits; FNSAVE and FNSTSW do not.
    enter(cpu, insn.reg < 6);
    switch (insn.reg) {
      case 0: return push(cpu, read_m64fp(cpu, insn));
      case 2: return write_m64fp(cpu, insn, get(cpu, 0));
      case 3: write_m64fp(cpu, insn, get(cpu, 0)); return pop(cpu);
      case 4: {  // FRSTOR: the environment, then ST(0)-ST(7)
        F regs[8];
        const uint32_t off = insn.o16() ? 14 : 28;
        for (unsigned i = 0; i < 8; ++i)
          regs[i] = read_m80(cpu, insn.seg, ea(cpu, insn) + off + 10 * i);
        load_env(cpu, insn);
        for (unsigned i = 0; i < 8; ++i) fpu(cpu).st[phys(cpu, i)] = regs[i];
        return;
      }
      case 6: {  // FNSAVE: the environment, ST(0)-ST(7), then as FNINIT
        const uint32_t off = store_env(cpu, insn);
        for (unsigned i = 0; i < 8; ++i)
          write_m80(cpu, insn.seg, ea(cpu, insn) + off + 10 * i, fpu(cpu).st[phys(cpu, i)]);
        return init(cpu);
      }
      case 7: cpu.write16(insn.seg, ea(cpu, insn), status_word(cpu)); return;  // FNSTSW
    }
    cpu.fault_ud();
  }
  enter(cpu, true);
  switch (insn.reg) {
    case 0:  // FFREE ST(i)
      fpu(cpu).full &= static_cast<uint8_t>(~(1u << phys(cpu, insn.rm)));
      return;
    case 1:  // DD C8+i: FXCH4, an alias of FXCH
      return esc_d9(cpu, insn);
    case 2: return set(cpu, insn.rm, get(cpu, 0));  // FST ST(i)
    case 3:                                         // FSTP ST(i)
      set(cpu, insn.rm, get(cpu, 0));
      return pop(cpu);
    case 4: return compare(cpu, get(cpu, 0), get(cpu, insn.rm), true);  // FUCOM
    case 5:                                                             // FUCOMP
      compare(cpu, get(cpu, 0), get(cpu, insn.rm), true);
      return pop(cpu);
  }
  cpu.fault_ud();
}

void esc_df(Cpu& cpu, const Insn& insn) {
  if (insn.mem()) {
    enter(cpu, true);
    switch (insn.reg) {
      case 0:
        return push(cpu, static_cast<F>(static_cast<int16_t>(cpu.read16(insn.seg, ea(cpu, insn)))));
      case 2: return store_int(cpu, insn, 2, get(cpu, 0));
      case 3: store_int(cpu, insn, 2, get(cpu, 0)); return pop(cpu);
      case 5: return push(cpu, static_cast<F>(static_cast<int64_t>(read64(cpu, insn))));
      case 7: store_int(cpu, insn, 8, get(cpu, 0)); return pop(cpu);
      case 4:
      case 6: unmodeled(cpu, insn);  // FBLD, FBSTP
    }
    cpu.fault_ud();  // /1 FISTTP is SSE3
  }
  if (insn.reg == 4 && insn.rm == 0) {  // FNSTSW AX
    enter(cpu, false);
    cpu.set_r16(0, status_word(cpu));
    return;
  }
  enter(cpu, true);
  if (insn.reg == 5 || insn.reg == 6) {  // FUCOMIP, FCOMIP
    compare_eflags(cpu, get(cpu, 0), get(cpu, insn.rm), insn.reg == 5);
    return pop(cpu);
  }
  if (insn.reg == 0) {  // DF C0+i: FFREEP (undocumented on P6, documented on later parts)
    fpu(cpu).full &= static_cast<uint8_t>(~(1u << phys(cpu, insn.rm)));
    return pop(cpu);
  }
  if (insn.reg == 1) return esc_d9(cpu, insn);  // DF C8+i: FXCH7
  if (insn.reg == 2 || insn.reg == 3) {         // DF D0+i, D8+i: FSTP8, FSTP9
    set(cpu, insn.rm, get(cpu, 0));
    return pop(cpu);
  }
  cpu.fault_ud();
}

// An x87 instruction whose memory access faults (a store's #PF or #GP, after the value it
// stores was computed) leaves the x87 state as it found it, so that it restarts exactly
// (CpuFault's contract, cpu.h): the exception flags, ES and B its computation raised, and
// the pop of FSTP, are made only by the execution that completes. Natively a faulting
// FSTP with an unmasked precision exception would otherwise #MF at its own restart; the
// deprivileged monitors, which run a store onto a traced page once more on their scratch
// processor after its page fault, gave #MF where natively the store is made and #MF comes
// at the next waiting instruction (SDM Vol. 1, 8.6 and 8.7; differential.py --rich seed
// 30150). A thrown VM exit, which also precedes the instruction's effects, the same.
template <void (*Escape)(Cpu&, const Insn&)>
void restartable(Cpu& cpu, const Insn& insn) {
  const X87State before = fpu(cpu);
  try {
    Escape(cpu, insn);
  } catch (...) {
    fpu(cpu) = before;
    throw;
  }
}

}  // namespace

// WAIT/FWAIT (9B): #NM when CR0.MP and CR0.TS are both set (SDM Vol. 3A, table 2-2), else
// a pending unmasked x87 exception is reported.
void x87_wait(Cpu& cpu) {
  const uint32_t cr0 = cpu.state().cr0;
  if ((cr0 & cr0::MP) && (cr0 & cr0::TS)) cpu.fault(vec::NM);
  check_pending(cpu);
}

void register_x87(HandlerTable& t) {
  t.set(0xD8, &restartable<&esc_d8>);
  t.set(0xD9, &restartable<&esc_d9>);
  t.set(0xDA, &restartable<&esc_da>);
  t.set(0xDB, &restartable<&esc_db>);
  t.set(0xDC, &restartable<&esc_dc>);
  t.set(0xDD, &restartable<&esc_dd>);
  t.set(0xDE, &restartable<&esc_de>);
  t.set(0xDF, &restartable<&esc_df>);
}

}  // namespace vmlab::cpu
