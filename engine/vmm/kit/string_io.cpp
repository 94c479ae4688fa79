#include "engine/vmm/kit/string_io.h"

#include <capstone/capstone.h>

#include <algorithm>

namespace vmlab::vmm {

std::optional<StringIoOp> string_io_op(const GuestInsn& insn, uint16_t port) {
  StringIoOp op;
  switch (insn.id) {
    case X86_INS_INSB: op = {true, 1}; break;
    case X86_INS_INSW: op = {true, 2}; break;
    case X86_INS_INSD: op = {true, 4}; break;
    case X86_INS_OUTSB: op = {false, 1}; break;
    case X86_INS_OUTSW: op = {false, 2}; break;
    case X86_INS_OUTSD: op = {false, 4}; break;
    default: return std::nullopt;
  }
  op.port = port;
  // F2 before INS/OUTS repeats as F3 does, as on the hardware (and engine/cpu/exec_string).
  op.rep = insn.rep || insn.repne;
  op.a16 = insn.a16;
  // OUTS reads DS:ESI or the segment its override names (SDM Vol. 2B, OUTS); Capstone
  // gives the memory operand that segment.
  op.src_seg = cpu::DS;
  for (unsigned i = 0; i < insn.op_count; ++i) {
    if (insn.ops[i].kind == GuestOperand::Kind::kMem) op.src_seg = insn.ops[i].seg;
  }
  return op;
}

StringIoBatch string_io_batch(cpu::Cpu& cpu, machine::Machine& machine, StringIoView& view,
                              const StringIoOp& op) {
  // A REP INS/OUTS is performed a batch of elements at a time, never all at once: a guest
  // can ask for four billion. The hardware is interruptible between iterations (SDM Vol.
  // 2B, REP: "a repeating string operation can be suspended by an exception or
  // interrupt", with ECX, ESI and EDI updated so that it resumes); so is the emulation.
  // After a batch with ECX not yet zero, EIP stays on the instruction: it exits or traps
  // again, after the processor has looked for interrupts and the budget, and the next
  // batch continues where this one stopped. Each element is a unit of the instruction
  // budget, and a batch ends where the budget of the run does.
  constexpr uint64_t kBatch = 4096;
  cpu::CpuState& s = cpu.state();
  // With a 16-bit address size (the 67 prefix) the processor uses SI, DI and CX, and only
  // their low 16 bits change, wrapping within 64 KiB (SDM Vol. 2B, INS/OUTS and REP).
  const uint32_t mask = op.a16 ? 0xFFFFu : 0xFFFFFFFFu;
  const auto reg = [&](unsigned r) { return s.gpr[r] & mask; };
  const auto advance = [&](unsigned r, uint32_t by) {
    s.gpr[r] = (s.gpr[r] & ~mask) | ((s.gpr[r] + by) & mask);
  };
  const uint32_t step = (s.eflags & cpu::flags::DF) ? 0u - op.size : op.size;
  const uint64_t count = op.rep ? reg(cpu::ECX) : 1;
  const uint64_t left = std::max<uint64_t>(cpu.budget_left(), 1);
  const uint64_t batch = std::min({count, kBatch, left});
  const uint8_t seg = op.in ? uint8_t{cpu::ES} : op.src_seg;
  StringIoBatch out;
  const auto stop = [&](StringIoBatch::End end, uint64_t n) {
    cpu.charge_budget(n);
    out.end = end;
    out.elements = n;
    return out;
  };
  for (uint64_t n = 0; n < batch; ++n) {
    // The segment checks of the memory operand come first, as the processor makes them
    // (SDM Vol. 2, INS/OUTS, "Protected Mode Exceptions": #GP(0), #SS(0) for SS, for a
    // segment that is unusable, not writable (INS) or readable (OUTS), or whose limit the
    // access passes): a refused element reads or writes no port.
    if (!view.segment_allows(seg, op.in ? reg(cpu::EDI) : reg(cpu::ESI), op.size, op.in)) {
      out.vector = seg == cpu::SS ? cpu::vec::SS : cpu::vec::GP;
      return stop(StringIoBatch::End::kSegmentFault, n);
    }
    uint32_t value = 0;
    if (op.in) {
      // The destination's page walk comes before the port read, as natively: a #PF there
      // reads no port.
      const uint32_t lin = s.seg[cpu::ES].base + reg(cpu::EDI);
      for (const uint32_t at : {lin, lin + op.size - 1}) {
        const GuestWalk w = view.walk_for_write(at);
        if (!w.ok) {
          out.page_fault = {at, w.error_code};
          return stop(StringIoBatch::End::kPageFault, n);
        }
      }
      value = machine.io_read(op.port, op.size);
      if (!view.write(lin, value, op.size, out.page_fault)) {
        return stop(StringIoBatch::End::kPageFault, n);
      }
      advance(cpu::EDI, step);
    } else {
      if (!view.read(s.seg[op.src_seg].base + reg(cpu::ESI), value, op.size, out.page_fault)) {
        return stop(StringIoBatch::End::kPageFault, n);
      }
      machine.io_write(op.port, op.size, value);
      advance(cpu::ESI, step);
    }
    if (op.rep) advance(cpu::ECX, 0xFFFFFFFFu);
  }
  cpu.charge_budget(batch);
  cpu.note_progress();
  out.elements = batch;
  out.end =
      op.rep && reg(cpu::ECX) != 0 ? StringIoBatch::End::kAgain : StringIoBatch::End::kComplete;
  return out;
}

}  // namespace vmlab::vmm
