// IN, OUT, INS, OUTS: port I/O of the deprivileged kernel, which faults because the real
// IOPL is 0 and the monitor's TSS has no I/O bitmap (SDM Vol. 1, 19.5), performed on the
// machine's I/O bus: the device model answers as it would natively, and the bus records
// the port_io event.
#include <capstone/capstone.h>

#include <algorithm>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/guest_stack.h"
#include "engine/vmm/kit/privileged_emulator.h"

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

bool PrivilegedEmulator::segment_allows(const cpu::SegmentCache& sc, uint32_t offset, unsigned size,
                                        bool write) {
  if (!sc.usable) return false;
  if (write ? !sc.writable() : !sc.readable()) return false;
  return cpu::segment_contains(sc, offset, size);
}

bool PrivilegedEmulator::segment_allows(uint8_t seg, uint32_t offset, unsigned size,
                                        bool write) const {
  const cpu::SegmentCache& sc = c_.cpu.state().seg[seg];
  // Under ring compression the real limit is the cut one: the guest's own descriptor, the
  // one the register was loaded from, decides (guest_stack.h).
  if (!c_.cpu.guest_mode() && c_.shadow.has_hole()) {
    return segment_allows(guest_segment_view(segments(), sc), offset, size, write);
  }
  return segment_allows(sc, offset, size, write);
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
  // With a 16-bit address size (the 67 prefix) the processor uses SI, DI and CX, and only
  // their low 16 bits change, wrapping within 64 KiB (SDM Vol. 2B, INS/OUTS and REP).
  const uint32_t mask = insn.a16 ? 0xFFFFu : 0xFFFFFFFFu;
  const auto reg = [&](unsigned r) { return s.gpr[r] & mask; };
  const auto advance = [&](unsigned r, uint32_t by) {
    s.gpr[r] = (s.gpr[r] & ~mask) | ((s.gpr[r] + by) & mask);
  };
  const uint64_t count = rep ? reg(cpu::ECX) : 1;
  const uint64_t left = std::max<uint64_t>(c_.cpu.budget_left(), 1);
  const uint64_t batch = std::min({count, kBatch, left});
  Outcome fault;
  for (uint64_t n = 0; n < batch; ++n) {
    uint32_t value = 0;
    bool ok = true;
    // The segment checks of the memory operand come first, as the processor makes them
    // (SDM Vol. 2, INS/OUTS, "Protected Mode Exceptions": #GP(0), #SS(0) for SS, for a
    // segment that is unusable, not writable (INS) or readable (OUTS), or whose limit the
    // access passes): a refused iteration reads or writes no port.
    const uint8_t seg = in ? uint8_t{cpu::ES} : src_seg;
    if (!segment_allows(seg, in ? reg(cpu::EDI) : reg(cpu::ESI), size, in)) {
      c_.cpu.charge_budget(n);
      return {Verdict::kFault, seg == cpu::SS ? cpu::vec::SS : cpu::vec::GP, true, 0};
    }
    if (in) {
      // The destination's page walk comes before the port read, as natively: a #PF there
      // reads no port.
      const uint32_t lin = s.seg[cpu::ES].base + reg(cpu::EDI);
      for (const uint32_t at : {lin, lin + size - 1}) {
        const GuestWalk w = c_.memory.walk(at, cpu::Access::kWrite, user(), false);
        if (!w.ok) {
          c_.cpu.charge_budget(n);
          return page_fault({at, w.error_code});
        }
      }
      value = c_.machine.io_read(port, size);
      ok = write_mem(lin, &value, size, fault);
      if (ok) advance(cpu::EDI, static_cast<uint32_t>(step));
    } else {
      ok = read_mem(s.seg[src_seg].base + reg(cpu::ESI), &value, size, fault);
      if (ok) {
        c_.machine.io_write(port, size, value);
        advance(cpu::ESI, static_cast<uint32_t>(step));
      }
    }
    if (!ok) {
      c_.cpu.charge_budget(n);
      return fault;
    }
    if (rep) advance(cpu::ECX, 0xFFFFFFFFu);
  }
  c_.cpu.charge_budget(batch);
  c_.cpu.note_progress();
  const uint64_t cycles = batch * c_.cpu.class_costs()[cpu::kCostPortIo];
  if (rep && reg(cpu::ECX) != 0) {
    record(insn, cycles);  // EIP stays: the next trap runs the next batch
    return {};
  }
  return done(insn, cycles);
}

}  // namespace vmlab::vmm

namespace vmlab::vmm {

// --- Port access from guest user mode (SDM Vol. 1, 19.5) ------------------------------------
//
// Natively a ring-3 IN, OUT, INS or OUTS runs when CPL <= IOPL, else when every bit of the
// accessed ports is clear in the I/O permission bitmap of the current TSS; otherwise it
// raises #GP(0). Under the monitor the real IOPL is 0 and the real TSS (the monitor's) has
// no bitmap, so every such access faults; the monitor then decides with the guest's
// virtual IOPL and the bitmap of the guest's own TSS (virtual TR), read through the
// guest's page tables at supervisor privilege as the processor's implicit accesses are.
// Xen decides a PV guest's port access the same way from its virtual IOPL and the bitmap
// the guest registered (xen/arch/x86/pv/emul-priv-op.c, guest_io_okay).

namespace {

// The 16-bit field at offset 0x66 of a 32-bit TSS holds the bitmap's offset (SDM Vol. 3A,
// figure 7-2).
constexpr uint32_t kIoMapBaseField = 0x66;

}  // namespace

bool PrivilegedEmulator::io_permitted(uint16_t port, unsigned size, Outcome& fault) {
  const VirtualCpu& v = c_.vcpu;
  if (c_.cpu.state().cpl <= v.iopl) return true;
  // A guest without a loaded 32-bit TSS (LTR checks the type) has no bitmap.
  if (v.tr == 0 || v.tss_limit < kIoMapBaseField + 1) return false;
  GuestMemory::Fault f;
  uint16_t map = 0;
  if (!c_.memory.read(v.tss_base + kIoMapBaseField, &map, 2, false, &f)) {
    fault = page_fault(f);
    return false;
  }
  // The processor reads the two bytes that hold the ports' bits; both must lie within the
  // TSS limit (which is why a bitmap ends with an extra 0xFF byte, 19.5.2).
  const uint32_t byte = uint32_t{map} + port / 8u;
  if (byte + 1 > v.tss_limit) return false;
  uint16_t bits = 0;
  if (!c_.memory.read(v.tss_base + byte, &bits, 2, false, &f)) {
    fault = page_fault(f);
    return false;
  }
  const uint32_t mask = ((1u << size) - 1) << (port & 7u);
  return (bits & mask) == 0;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_user_io() {
  Outcome fault;
  const auto decoded = fetch(fault);
  if (!decoded)
    return fault.verdict == Verdict::kNotEmulated ? Outcome{Verdict::kNotEmulated} : fault;
  const GuestInsn& insn = *decoded;
  unsigned size = 0;
  uint16_t port = c_.cpu.r16(cpu::EDX);
  switch (insn.id) {
    case X86_INS_IN:
    case X86_INS_OUT: {
      const bool in = insn.id == X86_INS_IN;
      const GuestOperand& port_op = in ? insn.ops[1] : insn.ops[0];
      size = (in ? insn.ops[0] : insn.ops[1]).size;
      if (port_op.kind == GuestOperand::Kind::kImm)
        port = static_cast<uint16_t>(port_op.imm & 0xFF);
      break;
    }
    case X86_INS_INSB:
    case X86_INS_OUTSB: size = 1; break;
    case X86_INS_INSW:
    case X86_INS_OUTSW: size = 2; break;
    case X86_INS_INSD:
    case X86_INS_OUTSD: size = 4; break;
    case X86_INS_CPUID: return cpuid(insn);  // CPUID faulting at CPL 3 (cpuid())
    case X86_INS_LJMP:
    case X86_INS_LCALL: {
      // A TSS or task gate of the guest's, or a call gate (to its kernel, as a system call).
      const Outcome task = far_task_checks(insn);
      return task.verdict != Verdict::kNotEmulated ? task : far_through_gate(insn);
    }
    default: return {Verdict::kNotEmulated};
  }
  if (!io_permitted(port, size, fault)) {
    return fault.verdict == Verdict::kFault ? fault : Outcome{Verdict::kNotEmulated};
  }
  return size != 0 && (insn.id == X86_INS_IN || insn.id == X86_INS_OUT) ? port_io(insn)
                                                                        : string_io(insn);
}

}  // namespace vmlab::vmm
