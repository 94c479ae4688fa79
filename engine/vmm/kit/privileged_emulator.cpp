// Fetch, decode and dispatch (the short system instructions inline: LLDT, INVLPG, CLTS,
// LMSW, INVD/WBINVD, RDMSR/WRMSR, CLI), operands, and settle(). The longer system
// instructions are emulate_system.cpp's; the twins of the processor's files are
// emulate_system.cpp, emulate_control.cpp, emulate_io.cpp and emulate_move.cpp.
//
// SDM Vol. 2 for each instruction, Vol. 3A 2.8 (system instructions), 4.10.4 (INVLPG).
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/machine/machine.h"
#include "engine/vmm/kit/guest_apic.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

PrivilegedEmulator::PrivilegedEmulator(Context context) : c_(context) {}
PrivilegedEmulator::~PrivilegedEmulator() = default;

// --- Operands -------------------------------------------------------------------------------

uint32_t PrivilegedEmulator::read_gpr(uint8_t reg, uint8_t size) const {
  const cpu::Cpu& cpu = c_.cpu;
  switch (size) {
    case 1: return cpu.r8(reg);
    case 2: return cpu.r16(reg);
    default: return cpu.r32(reg);
  }
}

void PrivilegedEmulator::write_gpr(uint8_t reg, uint8_t size, uint32_t value) {
  switch (size) {
    case 1: c_.cpu.set_r8(reg, static_cast<uint8_t>(value)); break;
    case 2: c_.cpu.set_r16(reg, static_cast<uint16_t>(value)); break;
    default: c_.cpu.set_r32(reg, value); break;
  }
}

uint32_t PrivilegedEmulator::linear_of(const GuestInsn& insn, const GuestOperand& op) const {
  const cpu::CpuState& s = c_.cpu.state();
  uint32_t ea = op.disp;
  if (op.base >= 0) ea += s.gpr[op.base];
  if (op.index >= 0) ea += s.gpr[op.index] * op.scale;
  if (insn.a16) ea &= 0xFFFFu;
  return s.seg[op.seg].base + ea;
}

std::optional<std::pair<uint32_t, uint32_t>> PrivilegedEmulator::selector_operand_span() {
  Outcome fault;
  const auto insn = fetch(fault);
  if (!insn) return std::nullopt;
  const cpu::CpuState& s = c_.cpu.state();
  if (insn->id == X86_INS_POP) {
    const cpu::SegmentCache& ss = s.seg[cpu::SS];
    const uint32_t sp = ss.db ? s.gpr[cpu::ESP] : s.gpr[cpu::ESP] & 0xFFFFu;
    return std::pair{ss.base + sp, insn->o16 ? 2u : 4u};
  }
  for (unsigned i = 0; i < insn->op_count && i < insn->ops.size(); ++i) {
    if (insn->ops[i].kind == GuestOperand::Kind::kMem) {
      return std::pair{linear_of(*insn, insn->ops[i]), 6u};
    }
  }
  return std::nullopt;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::page_fault(const GuestMemory::Fault& f) {
  c_.vcpu.cr2 = f.linear;
  c_.recorder.record(EventKind::true_fault, {f.linear, f.error_code, 0, 0});
  return {Verdict::kFault, cpu::vec::PF, true, f.error_code};
}

DeprivilegedSegments& PrivilegedEmulator::segments() const {
  if (!c_.segments) {
    c_.cpu.unsupported(
        "the emulator needs the shadow GDT of ring compression, which this "
        "monitor does not keep");
  }
  return *c_.segments;
}

void PrivilegedEmulator::make_scratch() {
  scratch_ = std::make_unique<ScratchExecution>(c_.cpu, c_.machine, c_.memory);
  scratch_->set_descriptor_tables(c_.segments);
}

bool PrivilegedEmulator::mark_loaded(uint16_t real, const cpu::Descriptor& d, Outcome& fault) {
  if (d.accessed() || !c_.segments) return true;
  const auto mark = c_.segments->mark_accessed(real);
  if (mark.kind != DeprivilegedSegments::AccessedMark::Kind::kGuestFault) return true;
  c_.vcpu.cr2 = mark.cr2;
  fault = {Verdict::kFault, cpu::vec::PF, true, mark.error_code};
  return false;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::gp(uint32_t error_code) {
  return {Verdict::kFault, cpu::vec::GP, true, error_code};
}

bool PrivilegedEmulator::read_mem(uint32_t lin, void* out, uint32_t size, Outcome& fault) {
  GuestMemory::Fault f;
  if (c_.memory.read(lin, out, size, user(), &f)) return true;
  fault = page_fault(f);
  return false;
}

bool PrivilegedEmulator::write_mem(uint32_t lin, const void* in, uint32_t size, Outcome& fault,
                                   bool supervisor) {
  // Walk every page first so that a fault writes nothing; then each page's part goes
  // through commit(), so that a store the monitor performs on a traced page table keeps
  // the shadows coherent like the guest's own stores do.
  const auto* bytes = static_cast<const uint8_t*>(in);
  uint32_t gpas[2] = {0, 0};
  const uint32_t first = std::min<uint32_t>(size, 4096 - (lin & 0xFFFu));
  const uint32_t parts = first == size ? 1 : 2;
  if (size - first > 4096) return false;
  for (uint32_t p = 0; p < parts; ++p) {
    const uint32_t at = p == 0 ? lin : lin + first;
    const GuestWalk w = c_.memory.walk(at, cpu::Access::kWrite, !supervisor && user());
    if (!w.ok) {
      fault = page_fault({at, w.error_code});
      return false;
    }
    gpas[p] = w.gpa;
  }
  for (uint32_t p = 0; p < parts; ++p) {
    const uint32_t n = p == 0 ? first : size - first;
    const uint8_t* from = bytes + (p == 0 ? 0 : first);
    if (n == 1 || n == 2 || n == 4) {
      uint32_t value = 0;
      for (uint32_t i = 0; i < n; ++i) value |= uint32_t{from[i]} << (8 * i);
      commit(gpas[p], value, n);
    } else {
      for (uint32_t i = 0; i < n; ++i) commit(gpas[p] + i, from[i], 1);
    }
  }
  return true;
}

void PrivilegedEmulator::record(const GuestInsn& insn, uint64_t extra_cycles) {
  const cpu::CpuState& s = c_.cpu.state();
  c_.recorder.record(EventKind::emulated_insn,
                     {insn.opcode, insn.modrm_reg, s.seg[cpu::CS].base + s.eip, 0}, extra_cycles);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::done(const GuestInsn& insn, uint64_t extra_cycles) {
  record(insn, extra_cycles);
  // In a 16-bit code segment IP wraps at 64 KiB (SDM Vol. 1, 3.6).
  cpu::CpuState& s = c_.cpu.state();
  s.eip = s.seg[cpu::CS].db ? s.eip + insn.length : (s.eip + insn.length) & 0xFFFFu;
  return {};
}

std::optional<GuestInsn> PrivilegedEmulator::fetch(Outcome& fault) {
  GuestFetch f = fetch_guest_insn(c_.cpu.state(), c_.memory, decoder_);
  if (f.faulted) {
    fault = page_fault(f.fault);
  } else if (!f.insn) {
    fault = {Verdict::kNotEmulated, 0, false, 0};
  }
  return std::move(f.insn);
}

// --- Dispatch -------------------------------------------------------------------------------

PrivilegedEmulator::Outcome PrivilegedEmulator::emulate_privileged() {
  Outcome fault;
  const auto decoded = fetch(fault);
  if (!decoded) return fault;
  const GuestInsn& insn = *decoded;
  cpu::CpuState& s = c_.cpu.state();
  VirtualCpu& v = c_.vcpu;
  switch (insn.id) {
    case X86_INS_MOV:
      if (insn.ops[0].kind == GuestOperand::Kind::kCr) {
        const Outcome written = mov_to_cr(insn);
        mirror_cr0();  // (after the lab's region: whatever CR it wrote)
        return written;
      }
      if (insn.ops[1].kind == GuestOperand::Kind::kCr) return mov_from_cr(insn);
      if (insn.ops[0].kind == GuestOperand::Kind::kDr) {
        c_.cpu.set_dr(insn.ops[0].reg, read_gpr(insn.ops[1].reg, 4));
        return done(insn);
      }
      if (insn.ops[1].kind == GuestOperand::Kind::kDr) {
        write_gpr(insn.ops[0].reg, 4, c_.cpu.dr(insn.ops[1].reg));
        return done(insn);
      }
      if (insn.ops[0].kind == GuestOperand::Kind::kSreg && insn.ops[0].reg == cpu::SS) {
        return load_stack_segment(insn);
      }
      return {Verdict::kNotEmulated};
    case X86_INS_POP:
    case X86_INS_LSS: return load_stack_segment(insn);
    case X86_INS_LAR:
    case X86_INS_LSL:
    case X86_INS_VERR:
    case X86_INS_VERW: return descriptor_probe(insn);
    case X86_INS_LGDT: return load_table(insn, true);
    case X86_INS_LIDT: return load_table(insn, false);
    case X86_INS_LTR: return load_task_register(insn);
    case X86_INS_LLDT: {
      uint16_t sel = 0;
      if (insn.ops[0].kind == GuestOperand::Kind::kMem) {
        if (!read_mem(linear_of(insn, insn.ops[0]), &sel, 2, fault)) return fault;
      } else {
        sel = static_cast<uint16_t>(read_gpr(insn.ops[0].reg, 2));
      }
      // The checks of LLDT (SDM Vol. 2), on the guest's own GDT; the guest's LDT is then
      // copied into the shadow LDT (deprivileged_segments.h).
      if (cpu::is_null_selector(sel)) {
        segments().clear_ldt(sel);
        v.ldtr = sel;
        return done(insn);
      }
      const uint32_t err = sel & 0xFFFCu;
      if ((sel & 4) || (sel & 0xFFF8u) + 7u > v.gdtr.limit) return gp(err);
      uint64_t raw = 0;
      if (!c_.memory.read(v.gdtr.base + (sel & 0xFFF8u), &raw, 8, false)) return gp(err);
      const cpu::Descriptor d{raw};
      if (d.s() || d.type() != cpu::sys_type::kLdt) return gp(err);
      if (!d.present()) return {Verdict::kFault, cpu::vec::NP, true, err};
      std::string error;
      if (!segments().load_ldt(sel, raw, c_.memory, error)) c_.cpu.unsupported(error);
      v.ldtr = sel;
      return done(insn);
    }
    case X86_INS_INVLPG: {
      const uint32_t lin = linear_of(insn, insn.ops[0]);
      c_.recorder.record(EventKind::invlpg, {lin, 0, 0, 0});
      c_.shadow.invlpg(lin);
      return done(insn);
    }
    case X86_INS_CLTS: {
      const uint32_t old = v.cr0;
      v.cr0 &= ~cpu::cr0::TS;
      mirror_cr0();
      c_.recorder.record(EventKind::cr_write, {0, old, v.cr0, 0});
      return done(insn);
    }
    case X86_INS_LMSW: {
      uint16_t src = 0;
      if (insn.ops[0].kind == GuestOperand::Kind::kMem) {
        if (!read_mem(linear_of(insn, insn.ops[0]), &src, 2, fault)) return fault;
      } else {
        src = static_cast<uint16_t>(read_gpr(insn.ops[0].reg, 2));
      }
      const uint32_t old = v.cr0;
      // LMSW loads PE, MP, EM and TS; it can set PE but never clear it.
      v.cr0 = (old & ~0xEu) | (src & 0xFu) | (old & cpu::cr0::PE);
      mirror_cr0();
      c_.recorder.record(EventKind::cr_write, {0, old, v.cr0, 0});
      return done(insn);
    }
    case X86_INS_INVD:
    case X86_INS_WBINVD: return done(insn);  // no caches are modeled
    case X86_INS_CPUID: return cpuid(insn);
    case X86_INS_RDMSR: {
      if (s.gpr[cpu::ECX] == cpu::msr::MSR_MISC_FEATURES_ENABLES) {
        return misc_features_msr(insn, true);
      }
      // No PAE and no XD in this virtual CPU (virtual_cpuid.h): IA32_EFER does not exist.
      if (s.gpr[cpu::ECX] == cpu::msr::IA32_EFER) return gp(0);
      uint64_t value = 0;
      if (!c_.cpu.read_msr(s.gpr[cpu::ECX], value)) return gp(0);
      s.gpr[cpu::EAX] = static_cast<uint32_t>(value);
      s.gpr[cpu::EDX] = static_cast<uint32_t>(value >> 32);
      return done(insn);
    }
    case X86_INS_WRMSR:
      if (s.gpr[cpu::ECX] == cpu::msr::MSR_MISC_FEATURES_ENABLES) {
        return misc_features_msr(insn, false);
      }
      if (s.gpr[cpu::ECX] == cpu::msr::IA32_EFER) return gp(0);
      if (!c_.cpu.write_msr(s.gpr[cpu::ECX], uint64_t{s.gpr[cpu::EDX]} << 32 | s.gpr[cpu::EAX])) {
        return gp(0);
      }
      if (s.gpr[cpu::ECX] == cpu::msr::IA32_APIC_BASE) {
        // The guest moved (or disabled) its local APIC: the page that traps follows it.
        c_.shadow.set_apic_page(guest_apic_page(c_.machine.local_apic()));
      }
      return done(insn);
    case X86_INS_CLI: v.interrupts_enabled = false; return done(insn);
    case X86_INS_STI: return sti(insn);
    case X86_INS_HLT: return halt(insn);
    case X86_INS_IN:
    case X86_INS_OUT: return port_io(insn);
    case X86_INS_INSB:
    case X86_INS_INSW:
    case X86_INS_INSD:
    case X86_INS_OUTSB:
    case X86_INS_OUTSW:
    case X86_INS_OUTSD: return string_io(insn);
    case X86_INS_IRET:
    case X86_INS_IRETD: return iret(insn);
    case X86_INS_RETF: return far_return(insn);
    case X86_INS_LJMP:
    case X86_INS_LCALL: {
      // A TSS or task gate of the guest's, or a call gate.
      const Outcome task = far_task_switch(insn);
      return task.verdict != Verdict::kNotEmulated ? task : far_through_gate(insn);
    }
    default: return {Verdict::kNotEmulated};
  }
}

void settle(const PrivilegedEmulator::Outcome& outcome, uint8_t vector, uint32_t error_code,
            GuestEventInjector& injector) {
  switch (outcome.verdict) {
    case PrivilegedEmulator::Verdict::kEmulated: return;
    case PrivilegedEmulator::Verdict::kFault:
      injector.reflect_exception(outcome.vector, outcome.has_error_code, outcome.error_code);
      return;
    case PrivilegedEmulator::Verdict::kNotEmulated:
      injector.reflect_exception(vector, true, error_code);
      return;
  }
}

}  // namespace vmlab::vmm
