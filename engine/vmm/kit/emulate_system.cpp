// The system instructions the deprivileged guest kernel traps on (the twin of engine/cpu/
// exec_system.cpp): CPUID (CPUID faulting), RDMSR/WRMSR of MISC_FEATURES_ENABLES, MOV to
// and from CRn, LGDT/LIDT, LTR, STI, HLT.
//
// SDM Vol. 2 for each instruction (its "Protected Mode Exceptions" decide what the guest
// gets when the operation would fault natively), Vol. 3A 2.5 (control registers), 2.8
// (system instructions), 6.8.3 (the STI shadow), 7.2.4 (LTR), 4.10.4 (TLB invalidation).
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/cpu/descriptor_probe.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/virtual_cpuid.h"

namespace vmlab::vmm {

// --- CPUID -----------------------------------------------------------------------------------

// The classic CPU does not trap CPUID (it is not privileged: the guest kernel in ring 1
// would read the processor's own answer, a Popek-Goldberg hole), so the deprivileged
// monitors turn on CPUID faulting (start_deprivileged) and answer here, at the guest's
// CPL 0 always, at its CPL 3 unless the guest asked for faulting itself.
PrivilegedEmulator::Outcome PrivilegedEmulator::cpuid(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  const bool guest_user = VirtualCpu::virtual_cpl(s.cpl) != 0;
  if (guest_user && (c_.vcpu.misc_features_enables & cpu::msr::kCpuidFaultingEnable)) return gp(0);
  const auto r = virtual_cpuid(c_.cpu, s.gpr[cpu::EAX], GuestPae::kAbsent);
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
    default: return {Verdict::kFault, cpu::vec::UD, false, 0};
  }
  write_gpr(insn.ops[0].reg, 4, value);
  return done(insn);
  // LAB 02 END
}

// The real CR0 is the monitor's (PE, PG and WP for its shadow paging, NE), but the bits that
// govern the x87 are the guest's: natively an x87 instruction or WAIT with CR0.TS (and MP)
// or EM set is #NM (SDM Vol. 3A, table 2-2), which a kernel's lazy FPU switching relies
// on; the deprivileged guest executes them on the real processor (in ring 1, in user mode,
// in bt's TC), so the real CR0 carries the guest's MP, EM and TS. They were the monitor's
// (clear), and a guest's TS never gave #NM (differential.py --richer seed 32004).
void PrivilegedEmulator::mirror_cr0() {
  constexpr uint32_t kGuestBits = cpu::cr0::MP | cpu::cr0::EM | cpu::cr0::TS;
  cpu::CpuState& s = c_.cpu.state();
  s.cr0 = (s.cr0 & ~kGuestBits) | (c_.vcpu.cr0 & kGuestBits);
}

// The guest kernel's LAR, LSL, VERR and VERW, which bt translates as callouts (the classic
// CPU runs them in ring 1 without a trap: a Popek-Goldberg hole). The processor would
// examine the shadow descriptor, whose DPL is 1 for the guest's 0 and whose limit the cut
// below the hypervisor hole shortened (LSL of a flat segment 0xFBFFFFFF for 0xFFFFFFFF:
// differential.py --richer seed 32006); the guest's own descriptor at its virtual CPL is
// what it examines natively. A selector past the guest's tables (the monitor's slots) clears
// ZF, as natively. (A descriptor on a page the guest's tables leave unmapped is taken as
// absent, where natively the read would be #PF.)
PrivilegedEmulator::Outcome PrivilegedEmulator::descriptor_probe(const GuestInsn& insn) {
  Outcome fault;
  cpu::CpuState& s = c_.cpu.state();
  const bool lar_lsl = insn.id == X86_INS_LAR || insn.id == X86_INS_LSL;
  const GuestOperand& src = insn.ops[lar_lsl ? 1 : 0];
  uint16_t sel = 0;
  if (src.kind == GuestOperand::Kind::kMem) {
    if (!read_mem(linear_of(insn, src), &sel, 2, fault)) return fault;
  } else {
    sel = static_cast<uint16_t>(read_gpr(src.reg, 2));
  }
  const cpu::DescriptorProbe op = insn.id == X86_INS_LAR    ? cpu::DescriptorProbe::kLar
                                  : insn.id == X86_INS_LSL  ? cpu::DescriptorProbe::kLsl
                                  : insn.id == X86_INS_VERR ? cpu::DescriptorProbe::kVerr
                                                            : cpu::DescriptorProbe::kVerw;
  const auto value = cpu::probe_descriptor(op, sel, segments().guest_descriptor(sel),
                                           VirtualCpu::virtual_cpl(s.cpl));
  if (value && lar_lsl) write_gpr(insn.ops[0].reg, insn.ops[0].size, *value);
  if (value) {
    s.eflags |= cpu::flags::ZF;
  } else {
    s.eflags &= ~cpu::flags::ZF;
  }
  return done(insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::mov_to_cr(const GuestInsn& insn) {
  // LAB 02 BEGIN solution: mov_to_cr
  VirtualCpu& v = c_.vcpu;
  uint32_t value = read_gpr(insn.ops[1].reg, 4);
  switch (insn.ops[0].reg) {
    case 0: {
      value = (value & cpu::cr0::kDefined) | cpu::cr0::ET;
      if ((value & cpu::cr0::PG) && !(value & cpu::cr0::PE)) return gp(0);
      if ((value & cpu::cr0::NW) && !(value & cpu::cr0::CD)) return gp(0);
      if (!(value & cpu::cr0::PE)) {
        c_.cpu.unsupported(
            "the guest cleared CR0.PE: real mode is not virtualized under ring compression "
            "(the classic CPU, binary translation: the monitor neither emulates it nor runs it "
            "in V86 mode)");
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
      v.cr3 = value & cpu::cr3::kDefined;
      c_.recorder.record(EventKind::cr3_switch, {old, v.cr3, 0, 0});
      c_.recorder.record(EventKind::tlb_flush, {0, 0, 0, 0});
      // The shadows are kept coherent by tracing, so a CR3 load only selects (or builds)
      // the shadow root of the new address space.
      if (v.paging()) c_.shadow.activate();
      break;
    }
    case 4: {
      if (value & ~cpu::cr4::kImplemented) return gp(0);
      const uint32_t old = v.cr4;
      v.cr4 = value;
      c_.recorder.record(EventKind::cr_write, {4, old, value, 0});
      if ((old ^ value) & (cpu::cr4::PSE | cpu::cr4::PGE | cpu::cr4::PAE)) {
        c_.recorder.record(EventKind::tlb_flush, {1, 0, 0, 0});
      }
      if ((old ^ value) & cpu::cr4::PSE) c_.shadow.flush_all();
      break;
    }
    default: return {Verdict::kFault, cpu::vec::UD, false, 0};
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
  if (!segments().rebuild(c_.memory, c_.vcpu, error)) c_.cpu.unsupported(error);
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
  if (!d.present()) return {Verdict::kFault, cpu::vec::NP, true, err};
  // LTR marks the guest's descriptor busy, as the hardware would.
  const uint8_t access = static_cast<uint8_t>((d.hi() >> 8) | 0x2u);
  c_.memory.write(at + 5, &access, 1, false);
  c_.vcpu.tr = sel;
  c_.vcpu.tss_base = d.base();
  c_.vcpu.tss_limit = d.limit();
  const auto esp0 = c_.memory.read32(d.base() + 4);
  const auto ss0 = c_.memory.read16(d.base() + 8);
  if (esp0 && ss0) segments().sync_tss(*ss0, *esp0);
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

}  // namespace vmlab::vmm
