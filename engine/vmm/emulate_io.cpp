// IN, OUT, INS, OUTS: port I/O of the deprivileged kernel, which faults because the real
// IOPL is 0 and the monitor's TSS has no I/O bitmap (SDM Vol. 1, 19.5), performed on the
// machine's I/O bus: the device model answers as it would natively, and the bus records
// the port_io event.
#include <capstone/capstone.h>

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
  uint32_t count = insn.rep ? s.gpr[cpu::ECX] : 1;
  const uint64_t accesses = count;
  Outcome fault;
  while (count > 0) {
    uint32_t value = 0;
    if (in) {
      value = c_.machine.io_read(port, size);
      if (!write_mem(s.seg[cpu::ES].base + s.gpr[cpu::EDI], &value, size, fault)) return fault;
      s.gpr[cpu::EDI] += static_cast<uint32_t>(step);
    } else {
      if (!read_mem(s.seg[src_seg].base + s.gpr[cpu::ESI], &value, size, fault)) return fault;
      c_.machine.io_write(port, size, value);
      s.gpr[cpu::ESI] += static_cast<uint32_t>(step);
    }
    --count;
    if (insn.rep) s.gpr[cpu::ECX] = count;
  }
  return done(insn, accesses * c_.cpu.class_costs()[cpu::kCostPortIo]);
}

}  // namespace vmlab::vmm
