// String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with the REP, REPE and REPNE
// prefixes (SDM Vol. 1, 7.3.9; Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ" and each instruction).
//
// The source is seg:ESI, where seg is DS or the segment override; the destination is
// always ES:EDI and cannot be overridden. With a 16-bit address size the registers are
// SI, DI and CX. DF chooses the direction.
//
// A repeated string instruction is interruptible (SDM Vol. 2B, REP: "a repeating string
// operation can be suspended by an exception or interrupt"): at most kChunk iterations
// run per dispatch; when ECX is not yet zero (and a REPE/REPNE condition still holds),
// EIP goes back to the instruction and the run loop dispatches it again after looking
// for interrupts. ECX, ESI and EDI are updated after every iteration, so a fault in the
// middle reports exactly the faulting iteration and the restart resumes there. Each
// iteration beyond the first of a dispatch costs one modeled cycle and one unit of the
// instruction budget (Cpu::budget_units: a REP of n iterations costs n, as n instructions
// would), and a dispatch stops where the budget of the run ends, so that a budget bounds
// modeled work exactly.
//
// F2 before MOVS STOS LODS INS OUTS repeats like F3, as on the hardware; for CMPS and
// SCAS F3 is REPE and F2 is REPNE.
#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/sized_operands.h"
#include "engine/cpu/vmx_exits.h"

namespace vmlab::cpu {

namespace {

constexpr unsigned kChunk = 4096;

enum class Str : uint8_t { kMovs, kCmps, kStos, kLods, kScas, kIns, kOuts };

template <Str OP>
inline constexpr bool kCompares = OP == Str::kCmps || OP == Str::kScas;
template <Str OP>
inline constexpr bool kUsesSource =
    OP == Str::kMovs || OP == Str::kCmps || OP == Str::kLods || OP == Str::kOuts;
template <Str OP>
inline constexpr bool kUsesDestination = OP != Str::kLods&& OP != Str::kOuts;

template <bool A16>
inline uint32_t index_reg(const Cpu& cpu, unsigned r) {
  return A16 ? cpu.r16(r) : cpu.r32(r);
}
template <bool A16>
inline void set_index_reg(Cpu& cpu, unsigned r, uint32_t v) {
  if (A16) {
    cpu.set_r16(r, static_cast<uint16_t>(v));
  } else {
    cpu.set_r32(r, v);
  }
}

// One element: the memory and port accesses, then the index registers and flags.
template <Str OP, typename T, bool A16>
inline void element(Cpu& cpu, const Insn& insn, uint32_t step) {
  const uint32_t si = index_reg<A16>(cpu, ESI);
  const uint32_t di = index_reg<A16>(cpu, EDI);
  if constexpr (OP == Str::kMovs) {
    mem_write<T>(cpu, ES, di, mem_read<T>(cpu, insn.seg, si));
  } else if constexpr (OP == Str::kCmps || OP == Str::kScas) {
    const T a = OP == Str::kCmps ? mem_read<T>(cpu, insn.seg, si) : reg_read<T>(cpu, EAX);
    const T b = mem_read<T>(cpu, ES, di);
    cpu.state().eflags =
        with_status(cpu.state().eflags, flags_sub<T>(a, b, static_cast<T>(a - b), false));
  } else if constexpr (OP == Str::kStos) {
    mem_write<T>(cpu, ES, di, reg_read<T>(cpu, EAX));
  } else if constexpr (OP == Str::kLods) {
    reg_write<T>(cpu, EAX, mem_read<T>(cpu, insn.seg, si));
  } else if constexpr (OP == Str::kIns) {
    // The port read has side effects (a UART FIFO pops), so the destination is checked
    // for writability, segment and paging, before the port is read.
    const uint32_t lin = cpu.linear(ES, di, sizeof(T), Access::kWrite);
    const bool user = cpu.state().cpl == 3;
    cpu.translate(lin, Access::kWrite, user);
    cpu.translate(lin + sizeof(T) - 1, Access::kWrite, user);
    const auto v = static_cast<T>(cpu.io_in(cpu.r16(EDX), sizeof(T)));
    mem_write<T>(cpu, ES, di, v);
  } else {
    cpu.io_out(cpu.r16(EDX), sizeof(T), mem_read<T>(cpu, insn.seg, si));
  }
  if constexpr (kUsesSource<OP>) set_index_reg<A16>(cpu, ESI, si + step);
  if constexpr (kUsesDestination<OP>) set_index_reg<A16>(cpu, EDI, di + step);
}

template <Str OP, typename T, bool A16>
void string_op(Cpu& cpu, const Insn& insn) {
  if constexpr (OP == Str::kIns || OP == Str::kOuts) {
    if (cpu.guest_mode()) [[unlikely]] {
      vmx_io(cpu, insn, cpu.r16(EDX), sizeof(T), OP == Str::kIns, true, false);
    }
    // The I/O permission (CPL against IOPL, then the TSS bitmap) comes before the memory
    // operand, as the SDM's INS/OUTS pseudo-code orders it and QEMU checks it: a port the
    // guest may not use is #GP(0) even where its source or destination page is not present
    // (random guest seed 9152 of tests/robustness/differential.py: native alone gave the
    // #PF of the operand; the monitors decide the port first).
    cpu.check_io_permission(cpu.r16(EDX), sizeof(T));
  }
  const uint32_t step = (cpu.state().eflags & flags::DF) ? 0u - sizeof(T) : sizeof(T);
  if (!insn.rep() && !insn.repne()) {
    element<OP, T, A16>(cpu, insn, step);
    return;
  }
  uint32_t count = index_reg<A16>(cpu, ECX);
  // The run loop charges the dispatch itself one unit; at least one iteration runs.
  const uint64_t left = cpu.budget_left();
  const uint64_t chunk = left == 0 ? 1 : (left < kChunk ? left : kChunk);
  for (uint64_t n = 0; count != 0; ++n) {
    if (n == chunk) {
      // Not finished: dispatch the instruction again, so that pending interrupts are
      // recognized between chunks (and the run can end on its budget).
      cpu.state().eip = cpu.insn_eip();
      return;
    }
    if (n != 0) {
      cpu.add_cycles(1);
      cpu.charge_budget(1);
    }
    element<OP, T, A16>(cpu, insn, step);
    set_index_reg<A16>(cpu, ECX, --count);
    if constexpr (kCompares<OP>) {
      // REPE stops on a mismatch (ZF = 0), REPNE on a match (ZF = 1).
      const bool zf = cpu.state().eflags & flags::ZF;
      if (insn.repne() ? zf : !zf) return;
    }
  }
}

template <Str OP, typename T>
void by_addrsize(Cpu& cpu, const Insn& insn) {
  if (insn.a16()) {
    string_op<OP, T, true>(cpu, insn);
  } else {
    string_op<OP, T, false>(cpu, insn);
  }
}

template <Str OP>
void by_sizes(Cpu& cpu, const Insn& insn) {
  if (insn.o16()) {
    by_addrsize<OP, uint16_t>(cpu, insn);
  } else {
    by_addrsize<OP, uint32_t>(cpu, insn);
  }
}

template <Str OP>
void register_pair(HandlerTable& t, uint16_t op_b) {
  t.set(op_b, &by_addrsize<OP, uint8_t>);
  t.set(op_b + 1, &by_sizes<OP>);
}

}  // namespace

void register_string(HandlerTable& t) {
  register_pair<Str::kIns>(t, 0x6C);
  register_pair<Str::kOuts>(t, 0x6E);
  register_pair<Str::kMovs>(t, 0xA4);
  register_pair<Str::kCmps>(t, 0xA6);
  register_pair<Str::kStos>(t, 0xAA);
  register_pair<Str::kLods>(t, 0xAC);
  register_pair<Str::kScas>(t, 0xAE);
}

}  // namespace vmlab::cpu
