// Fetch, decode and dispatch; the system instructions: MOV to/from CRn and DRn, LGDT,
// LIDT, LTR, LLDT, INVLPG, CLTS, LMSW, INVD/WBINVD, RDMSR/WRMSR, CLI, STI, HLT.
//
// SDM Vol. 2 for each instruction (its "Protected Mode Exceptions" decide what the guest
// gets when the operation would fault natively), Vol. 3A 2.5 (control registers), 2.8
// (system instructions), 6.8.3 (the STI shadow), 7.2.4 (LTR), 4.10.4 (TLB invalidation).
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/machine/machine.h"
#include "engine/vmm/guest_apic.h"
#include "engine/vmm/privileged_emulator.h"

#include "engine/vmm/scratch_execution.h"
#include "engine/vmm/virtual_cpuid.h"

namespace vmlab::vmm {

namespace {

// CR0 bits that exist; CR4 bits this processor implements (as engine/cpu/mmu.cpp).
constexpr uint32_t kCr0Defined = cpu::cr0::PE | cpu::cr0::MP | cpu::cr0::EM | cpu::cr0::TS |
                                 cpu::cr0::ET | cpu::cr0::NE | cpu::cr0::WP | cpu::cr0::AM |
                                 cpu::cr0::NW | cpu::cr0::CD | cpu::cr0::PG;
constexpr uint32_t kCr4Supported =
    cpu::cr4::TSD | cpu::cr4::DE | cpu::cr4::PSE | cpu::cr4::PGE | cpu::cr4::PCE;
constexpr uint32_t kCr3Defined = 0xFFFFF000u | 0x18u;

}  // namespace

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

PrivilegedEmulator::Outcome PrivilegedEmulator::page_fault(const GuestMemory::Fault& f) {
  c_.vcpu.cr2 = f.linear;
  c_.recorder.record(EventKind::true_fault, {f.linear, f.error_code, 0, 0});
  return {Result::kFault, cpu::vec::PF, true, f.error_code};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::gp(uint32_t error_code) {
  return {Result::kFault, cpu::vec::GP, true, error_code};
}

bool PrivilegedEmulator::read_mem(uint32_t lin, void* out, uint32_t size, Outcome& fault) {
  GuestMemory::Fault f;
  if (c_.memory.read(lin, out, size, user(), &f)) return true;
  fault = page_fault(f);
  return false;
}

bool PrivilegedEmulator::write_mem(uint32_t lin, const void* in, uint32_t size, Outcome& fault) {
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
    const GuestWalk w = c_.memory.walk(at, cpu::Access::kWrite, user());
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
  c_.cpu.state().eip += insn.length;
  return {};
}

std::optional<GuestInsn> PrivilegedEmulator::fetch(Outcome& fault) {
  const cpu::CpuState& s = c_.cpu.state();
  const uint32_t lin = s.seg[cpu::CS].base + s.eip;
  uint8_t bytes[15] = {};
  // Up to 15 bytes, stopping at the first page the guest cannot read (the instruction
  // itself was fetched, so its own bytes are there).
  size_t have = 0;
  while (have < sizeof bytes) {
    const uint32_t at = lin + static_cast<uint32_t>(have);
    const size_t chunk = std::min<size_t>(sizeof bytes - have, 4096 - (at & 0xFFFu));
    GuestMemory::Fault f;
    if (!c_.memory.read(at, bytes + have, static_cast<uint32_t>(chunk), user(), &f)) {
      if (have == 0) {
        fault = page_fault(f);
        return std::nullopt;
      }
      break;
    }
    have += chunk;
  }
  auto insn = decoder_.decode(bytes, have, lin);
  if (!insn) fault = {Result::kNotEmulated, 0, false, 0};
  return insn;
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
      if (insn.ops[0].kind == GuestOperand::Kind::kCr) return mov_to_cr(insn);
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
      return {Result::kNotEmulated};
    case X86_INS_POP:
    case X86_INS_LSS: return load_stack_segment(insn);
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
        c_.segments.clear_ldt(sel);
        v.ldtr = sel;
        return done(insn);
      }
      const uint32_t err = sel & 0xFFFCu;
      if ((sel & 4) || (sel & 0xFFF8u) + 7u > v.gdtr.limit) return gp(err);
      uint64_t raw = 0;
      if (!c_.memory.read(v.gdtr.base + (sel & 0xFFF8u), &raw, 8, false)) return gp(err);
      const cpu::Descriptor d{raw};
      if (d.s() || d.type() != cpu::sys_type::kLdt) return gp(err);
      if (!d.present()) return {Result::kFault, cpu::vec::NP, true, err};
      std::string error;
      if (!c_.segments.load_ldt(sel, raw, c_.memory, error)) c_.cpu.unsupported(error);
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
    case X86_INS_LCALL: return far_task_checks(insn);
    default: return {Result::kNotEmulated};
  }
}

// --- CPUID -----------------------------------------------------------------------------------

// The classic CPU does not trap CPUID (it is not privileged: the guest kernel in ring 1
// would read the processor's own answer, a Popek-Goldberg hole), so the deprivileged
// monitors turn on CPUID faulting (start_deprivileged) and answer here, at the guest's
// CPL 0 always, at its CPL 3 unless the guest asked for faulting itself.
PrivilegedEmulator::Outcome PrivilegedEmulator::cpuid(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  const bool guest_user = VirtualCpu::virtual_cpl(s.cpl) != 0;
  if (guest_user && (c_.vcpu.misc_features_enables & cpu::msr::kCpuidFaultingEnable)) return gp(0);
  const auto r = virtual_cpuid(c_.cpu, s.gpr[cpu::EAX]);
  s.gpr[cpu::EAX] = r[0];
  s.gpr[cpu::EBX] = r[1];
  s.gpr[cpu::ECX] = r[2];
  s.gpr[cpu::EDX] = r[3];
  return done(insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::misc_features_msr(const GuestInsn& insn,
                                                                  bool read) {
  cpu::CpuState& s = c_.cpu.state();
  uint64_t& v = c_.vcpu.misc_features_enables;
  if (read) {
    s.gpr[cpu::EAX] = static_cast<uint32_t>(v);
    s.gpr[cpu::EDX] = static_cast<uint32_t>(v >> 32);
    return done(insn);
  }
  const uint64_t value = uint64_t{s.gpr[cpu::EDX]} << 32 | s.gpr[cpu::EAX];
  if (value & ~cpu::msr::kCpuidFaultingEnable) return gp(0);  // reserved bits, as the CPU
  v = value;
  return done(insn);
}

// --- Control registers ----------------------------------------------------------------------

PrivilegedEmulator::Outcome PrivilegedEmulator::mov_from_cr(const GuestInsn& insn) {
  // LAB 02 BEGIN solution: mov_from_cr
  const VirtualCpu& v = c_.vcpu;
  uint32_t value = 0;
  switch (insn.ops[1].reg) {
    case 0: value = v.cr0; break;
    case 2: value = v.cr2; break;
    case 3: value = v.cr3; break;
    case 4: value = v.cr4; break;
    default: return {Result::kFault, cpu::vec::UD, false, 0};
  }
  write_gpr(insn.ops[0].reg, 4, value);
  return done(insn);
  // LAB 02 END
}

PrivilegedEmulator::Outcome PrivilegedEmulator::mov_to_cr(const GuestInsn& insn) {
  // LAB 02 BEGIN solution: mov_to_cr
  VirtualCpu& v = c_.vcpu;
  uint32_t value = read_gpr(insn.ops[1].reg, 4);
  switch (insn.ops[0].reg) {
    case 0: {
      value = (value & kCr0Defined) | cpu::cr0::ET;
      if ((value & cpu::cr0::PG) && !(value & cpu::cr0::PE)) return gp(0);
      if ((value & cpu::cr0::NW) && !(value & cpu::cr0::CD)) return gp(0);
      if (!(value & cpu::cr0::PE)) {
        c_.cpu.unsupported("the guest cleared CR0.PE: real mode is not virtualized");
      }
      const uint32_t old = v.cr0;
      v.cr0 = value;
      // The guest's view, recorded as the hardware would record it natively.
      c_.recorder.record(EventKind::cr_write, {0, old, value, 0});
      const uint32_t changed = old ^ value;
      if (changed & (cpu::cr0::PG | cpu::cr0::WP | cpu::cr0::PE)) {
        c_.recorder.record(EventKind::tlb_flush, {1, 0, 0, 0});
      }
      // WP changes what a supervisor write may do, so every shadow entry built with paging
      // on; PG switches between the physical-mode map and the shadow of CR3.
      if ((changed & cpu::cr0::WP) && (old & value & cpu::cr0::PG)) {
        c_.shadow.flush_all();
      } else if (changed & cpu::cr0::PG) {
        c_.shadow.activate();
      }
      break;
    }
    case 2: v.cr2 = value; break;
    case 3: {
      const uint32_t old = v.cr3;
      v.cr3 = value & kCr3Defined;
      c_.recorder.record(EventKind::cr3_switch, {old, v.cr3, 0, 0});
      c_.recorder.record(EventKind::tlb_flush, {0, 0, 0, 0});
      // The shadows are kept coherent by tracing, so a CR3 load only selects (or builds)
      // the shadow root of the new address space.
      if (v.paging()) c_.shadow.activate();
      break;
    }
    case 4: {
      if (value & ~kCr4Supported) return gp(0);
      const uint32_t old = v.cr4;
      v.cr4 = value;
      c_.recorder.record(EventKind::cr_write, {4, old, value, 0});
      if ((old ^ value) & (cpu::cr4::PSE | cpu::cr4::PGE | cpu::cr4::PAE)) {
        c_.recorder.record(EventKind::tlb_flush, {1, 0, 0, 0});
      }
      if ((old ^ value) & cpu::cr4::PSE) c_.shadow.flush_all();
      break;
    }
    default: return {Result::kFault, cpu::vec::UD, false, 0};
  }
  return done(insn);
  // LAB 02 END
}

// --- Descriptor tables ----------------------------------------------------------------------

PrivilegedEmulator::Outcome PrivilegedEmulator::load_table(const GuestInsn& insn, bool gdt) {
  Outcome fault;
  uint8_t raw[6];
  if (!read_mem(linear_of(insn, insn.ops[0]), raw, 6, fault)) return fault;
  cpu::TableRegister t;
  t.limit = static_cast<uint16_t>(raw[0] | raw[1] << 8);
  t.base = uint32_t{raw[2]} | uint32_t{raw[3]} << 8 | uint32_t{raw[4]} << 16 |
           (insn.o16 ? 0 : uint32_t{raw[5]} << 24);
  if (!gdt) {
    c_.vcpu.idtr = t;
    return done(insn);
  }
  c_.vcpu.gdtr = t;
  std::string error;
  if (!c_.segments.rebuild(c_.memory, c_.vcpu, error)) c_.cpu.unsupported(error);
  return done(insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::load_task_register(const GuestInsn& insn) {
  Outcome fault;
  uint16_t sel = 0;
  if (insn.ops[0].kind == GuestOperand::Kind::kMem) {
    if (!read_mem(linear_of(insn, insn.ops[0]), &sel, 2, fault)) return fault;
  } else {
    sel = static_cast<uint16_t>(read_gpr(insn.ops[0].reg, 2));
  }
  // The checks of LTR (SDM Vol. 2), on the guest's own GDT.
  if (cpu::is_null_selector(sel)) return gp(0);
  const uint32_t err = sel & 0xFFFCu;
  if ((sel & 4) || (sel & 0xFFF8u) + 7u > c_.vcpu.gdtr.limit) return gp(err);
  const uint32_t at = c_.vcpu.gdtr.base + (sel & 0xFFF8u);
  uint64_t raw = 0;
  if (!c_.memory.read(at, &raw, 8, false)) return gp(err);
  cpu::Descriptor d{raw};
  if (d.s() || (d.type() != cpu::sys_type::kTss32Available)) return gp(err);
  if (!d.present()) return {Result::kFault, cpu::vec::NP, true, err};
  // LTR marks the guest's descriptor busy, as the hardware would.
  const uint8_t access = static_cast<uint8_t>((d.hi() >> 8) | 0x2u);
  c_.memory.write(at + 5, &access, 1, false);
  c_.vcpu.tr = sel;
  c_.vcpu.tss_base = d.base();
  c_.vcpu.tss_limit = d.limit();
  const auto esp0 = c_.memory.read32(d.base() + 4);
  const auto ss0 = c_.memory.read16(d.base() + 8);
  if (esp0 && ss0) c_.segments.sync_tss(*ss0, *esp0);
  return done(insn);
}

// --- The interrupt flag and HLT ------------------------------------------------------------

PrivilegedEmulator::Outcome PrivilegedEmulator::sti(const GuestInsn& insn) {
  VirtualCpu& v = c_.vcpu;
  const bool was_enabled = v.interrupts_enabled;
  v.interrupts_enabled = true;
  Outcome out = done(insn);
  if (!was_enabled) {
    // The interrupt window opens after the next instruction (the STI shadow, SDM Vol. 3A
    // 6.8.3): the real processor keeps the shadow, then looks for an interrupt the monitor
    // held back (cpu::Monitor::interrupt_window_open). "sti; hlt" halts and wakes, as
    // natively.
    c_.cpu.state().interrupt_shadow = true;
    c_.cpu.request_event_check();
  }
  return out;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::halt(const GuestInsn& insn) {
  Outcome out = done(insn);
  VirtualCpu& v = c_.vcpu;
  if (v.interrupts_enabled && !v.pending.empty()) return out;  // injected on the way out
  cpu::CpuState& s = c_.cpu.state();
  s.halted = true;
  // HLT with the guest's IF clear never wakes, natively: the real IF goes off too, so
  // that the machine stops as it would (halted with interrupts disabled).
  if (!v.interrupts_enabled) c_.cpu.set_eflags(s.eflags & ~cpu::flags::IF);
  c_.cpu.request_event_check();
  return out;
}

void settle(const PrivilegedEmulator::Outcome& outcome, uint8_t vector, uint32_t error_code,
            GuestEventInjector& injector) {
  switch (outcome.result) {
    case PrivilegedEmulator::Result::kEmulated: return;
    case PrivilegedEmulator::Result::kFault:
      injector.reflect_exception(outcome.vector, outcome.has_error_code, outcome.error_code);
      return;
    case PrivilegedEmulator::Result::kNotEmulated:
      injector.reflect_exception(vector, true, error_code);
      return;
  }
}

}  // namespace vmlab::vmm
