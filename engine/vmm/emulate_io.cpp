// IN, OUT, INS, OUTS: port I/O of the deprivileged kernel, which faults because the real
// IOPL is 0 and the monitor's TSS has no I/O bitmap (SDM Vol. 1, 19.5), performed on the
// machine's I/O bus: the device model answers as it would natively, and the bus records
// the port_io event.
#include <capstone/capstone.h>

#include <algorithm>

#include "engine/vmm/privileged_emulator.h"

namespace vmlab::vmm {

PrivilegedEmulator::Outcome PrivilegedEmulator::port_io(const GuestInsn& insn) {
  // IN acc, imm8/DX and OUT imm8/DX, acc: Capstone lists the destination first.
  const bool in = insn.id == X86_INS_IN;
  const GuestOperand& port_op = in ? insn.ops[1] : insn.ops[0];
  const GuestOperand& acc = in ? insn.ops[0] : insn.ops[1];
  const uint16_t port = port_op.kind == GuestOperand::Kind::kImm
                            ? static_cast<uint16_t>(port_op.imm & 0xFF)
                            : c_.cpu.r16(cpu::EDX);
  const unsigned size = acc.size;
  if (in) {
    write_gpr(cpu::EAX, static_cast<uint8_t>(size), c_.machine.io_read(port, size));
  } else {
    c_.machine.io_write(port, size, read_gpr(cpu::EAX, static_cast<uint8_t>(size)));
  }
  // The device access itself costs what it costs natively (insn.port_io), on top of the trap.
  return done(insn, c_.cpu.class_costs()[cpu::kCostPortIo]);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::string_io(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  const bool in = insn.id == X86_INS_INSB || insn.id == X86_INS_INSW || insn.id == X86_INS_INSD;
  const unsigned size = (insn.id == X86_INS_INSB || insn.id == X86_INS_OUTSB)   ? 1
                        : (insn.id == X86_INS_INSW || insn.id == X86_INS_OUTSW) ? 2
                                                                                : 4;
  const uint16_t port = c_.cpu.r16(cpu::EDX);
  const int32_t step = (s.eflags & cpu::flags::DF) ? -static_cast<int32_t>(size) : size;
  // OUTS reads DS:ESI (or the override); INS writes ES:EDI (SDM Vol. 2, INS/OUTS).
  const uint8_t src_seg = [&] {
    for (unsigned i = 0; i < insn.op_count; ++i) {
      if (insn.ops[i].kind == GuestOperand::Kind::kMem) return insn.ops[i].seg;
    }
    return uint8_t{cpu::DS};
  }();
  return string_io_batch(insn, in, size, port, step, src_seg);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::string_io_batch(const GuestInsn& insn, bool in,
                                                                unsigned size, uint16_t port,
                                                                int32_t step, uint8_t src_seg) {
  // A REP INS/OUTS is emulated a batch of iterations at a time, never all at once: a guest
  // can ask for four billion. The hardware is interruptible between iterations (SDM Vol.
  // 2B, REP: "a repeating string operation can be suspended by an exception or
  // interrupt", with ECX, ESI and EDI updated so that it resumes); so is the emulation.
  // After a batch with ECX not yet zero, EIP stays on the instruction: it traps again,
  // after the processor has looked for interrupts and the budget, and the next batch
  // continues where this one stopped. Each iteration is a unit of the instruction budget,
  // and a batch ends where the budget of the run does.
  constexpr uint64_t kBatch = 4096;
  cpu::CpuState& s = c_.cpu.state();
  // F2 before INS/OUTS repeats as F3 does, as on the hardware (and engine/cpu/exec_string).
  const bool rep = insn.rep || insn.repne;
  const uint64_t count = rep ? s.gpr[cpu::ECX] : 1;
  const uint64_t left = std::max<uint64_t>(c_.cpu.budget_left(), 1);
  const uint64_t batch = std::min({count, kBatch, left});
  Outcome fault;
  for (uint64_t n = 0; n < batch; ++n) {
    uint32_t value = 0;
    bool ok = true;
    if (in) {
      value = c_.machine.io_read(port, size);
      ok = write_mem(s.seg[cpu::ES].base + s.gpr[cpu::EDI], &value, size, fault);
      if (ok) s.gpr[cpu::EDI] += static_cast<uint32_t>(step);
    } else {
      ok = read_mem(s.seg[src_seg].base + s.gpr[cpu::ESI], &value, size, fault);
      if (ok) {
        c_.machine.io_write(port, size, value);
        s.gpr[cpu::ESI] += static_cast<uint32_t>(step);
      }
    }
    if (!ok) {
      c_.cpu.charge_budget(n);
      return fault;
    }
    if (rep) --s.gpr[cpu::ECX];
  }
  c_.cpu.charge_budget(batch);
  c_.cpu.note_progress();
  const uint64_t cycles = batch * c_.cpu.class_costs()[cpu::kCostPortIo];
  if (rep && s.gpr[cpu::ECX] != 0) {
    record(insn, cycles);  // EIP stays: the next trap runs the next batch
    return {};
  }
  return done(insn, cycles);
}

}  // namespace vmlab::vmm
