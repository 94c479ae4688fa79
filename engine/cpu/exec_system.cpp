// System instructions: MOV to/from control and debug registers, the descriptor-table
// registers (LGDT LIDT SGDT SIDT SLDT STR LLDT LTR), SMSW LMSW CLTS INVLPG, INVD WBINVD,
// RDMSR WRMSR. (LAR LSL VERR VERW are in exec_segment.cpp.)
//
// SDM Vol. 2 for each instruction; Vol. 3A 2.8 (system instruction summary, table 2-3
// shows which are privileged), 2.5 (control registers), 17.2 (debug registers), Vol. 4
// (the MSRs). SGDT, SIDT, SLDT, STR and SMSW are not privileged: any CPL may read the
// system registers, one of the classic obstacles to trap-and-emulate virtualization.
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/operands.h"
#include "engine/cpu/vmx_exits.h"

namespace vmlab::cpu {

namespace {

void require_cpl0(Cpu& cpu) {
  if (cpu.state().cpl != 0) cpu.fault_gp(0);
}

// LLDT, SLDT, LTR and STR are not recognized in real-address mode (SDM Vol. 2, their
// "Real-Address Mode Exceptions": #UD).
void require_protected_mode(Cpu& cpu) {
  if (!cpu.state().protected_mode()) cpu.fault_ud();
}

void require_memory(Cpu& cpu, const Insn& insn) {
  if (!insn.mem()) cpu.fault_ud();
}

// A 16-bit system value written to r/m: memory gets 16 bits; a register gets the value
// zero-extended with a 32-bit operand size (SLDT, STR, SMSW, MOV r, Sreg).
void store_selector(Cpu& cpu, const Insn& insn, uint32_t v) {
  if (insn.mem()) {
    write_rm16(cpu, insn, static_cast<uint16_t>(v));
  } else {
    write_rmv(cpu, insn, v);
  }
}

// 0F 20 /r: MOV r32, CRn. 0F 22 /r: MOV CRn, r32. The r/m field always names a register.
void mov_from_cr(Cpu& cpu, const Insn& insn) {
  CpuState& s = cpu.state();
  uint32_t v;
  switch (insn.reg) {
    case 0: v = s.cr0; break;
    case 2: v = s.cr2; break;
    case 3: v = s.cr3; break;
    case 4: v = s.cr4; break;
    default: cpu.fault_ud();  // CR1, CR5-CR7 do not exist
  }
  require_cpl0(cpu);
  if (cpu.guest_mode()) [[unlikely]]
    v = vmx_mov_from_cr(cpu, insn, v);
  cpu.set_r32(insn.rm, v);
}

void mov_to_cr(Cpu& cpu, const Insn& insn) {
  if (insn.reg == 1 || insn.reg > 4) cpu.fault_ud();
  require_cpl0(cpu);
  uint32_t v = cpu.r32(insn.rm);
  if (cpu.guest_mode()) [[unlikely]] {
    vmx_mov_to_cr(cpu, insn, v);
    // No exit: the bits the guest/host mask gives the monitor keep their values (SDM Vol.
    // 3C, 26.3 "MOV to CR0", "MOV to CR4"): a guest that writes PG = 0 over a read shadow
    // that already says 0 must not turn the monitor's shadow paging off.
    const VmControls& c = cpu.vm_controls();
    if (insn.reg == 0) v = (v & ~c.cr0_mask) | (cpu.state().cr0 & c.cr0_mask);
    if (insn.reg == 4) v = (v & ~c.cr4_mask) | (cpu.state().cr4 & c.cr4_mask);
  }
  switch (insn.reg) {
    case 0: cpu.write_cr0(v); break;
    case 2: cpu.state().cr2 = v; break;
    case 3: cpu.write_cr3(v); break;
    default: cpu.write_cr4(v); break;
  }
}

// 0F 21 / 0F 23: MOV to/from DRn. DR4 and DR5 alias DR6 and DR7 unless CR4.DE is set,
// when they raise #UD (17.2.2).
unsigned debug_register(Cpu& cpu, const Insn& insn) {
  unsigned n = insn.reg;
  if (n == 4 || n == 5) {
    if (cpu.state().cr4 & cr4::DE) cpu.fault_ud();
    n += 2;
  }
  return n;
}

void mov_from_dr(Cpu& cpu, const Insn& insn) {
  const unsigned n = debug_register(cpu, insn);
  require_cpl0(cpu);
  cpu.set_r32(insn.rm, cpu.dr(n));
}

void mov_to_dr(Cpu& cpu, const Insn& insn) {
  const unsigned n = debug_register(cpu, insn);
  require_cpl0(cpu);
  uint32_t v = cpu.r32(insn.rm);
  // DR6 and DR7 have bits that always read as 1 (17.2.3, 17.2.4).
  if (n == 6) v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;
  if (n == 7) v = (v & 0xFFFF2BFFu) | 0x400u;
  cpu.set_dr(n, v);
}

// 0F 01 /2, /3: LGDT, LIDT m16&32. With a 16-bit operand size only 24 bits of base load.
void load_table_register(Cpu& cpu, const Insn& insn, TableRegister& reg) {
  require_memory(cpu, insn);
  require_cpl0(cpu);
  const uint32_t ea = effective_address(cpu, insn);
  const uint16_t limit = cpu.read16(insn.seg, ea);
  uint32_t base = cpu.read32(insn.seg, insn.a16() ? (ea + 2) & 0xFFFFu : ea + 2);
  if (insn.o16()) base &= 0x00FFFFFFu;
  reg.limit = limit;
  reg.base = base;
}

void lgdt(Cpu& cpu, const Insn& insn) {
  load_table_register(cpu, insn, cpu.state().gdtr);
}
void lidt(Cpu& cpu, const Insn& insn) {
  load_table_register(cpu, insn, cpu.state().idtr);
}

// 0F 01 /0, /1: SGDT, SIDT m16&32, at any CPL. With a 16-bit operand size the fourth base
// byte is stored as zero.
void store_table_register(Cpu& cpu, const Insn& insn, const TableRegister& reg) {
  require_memory(cpu, insn);
  const uint32_t ea = effective_address(cpu, insn);
  const uint32_t base = insn.o16() ? reg.base & 0x00FFFFFFu : reg.base;
  const uint32_t base_off = insn.a16() ? (ea + 2) & 0xFFFFu : ea + 2;
  // Check both parts, the segment and then every page for a write, before writing either,
  // so that a fault (the limit's or the base's) leaves memory unchanged (SDM Vol. 2B,
  // SGDT). (The segment checks alone let a base on a not-present or read-only page fault
  // after the limit was written; QEMU writes it so too.)
  // Byte by byte, as a store that crosses a page is checked (memory.cpp): a fault on the
  // second page names its first byte (CR2).
  const bool user = cpu.state().cpl == 3;
  const uint32_t limit_at = cpu.linear(insn.seg, ea, 2, Access::kWrite);
  for (uint32_t i = 0; i < 2; ++i) cpu.translate(limit_at + i, Access::kWrite, user);
  const uint32_t base_at = cpu.linear(insn.seg, base_off, 4, Access::kWrite);
  for (uint32_t i = 0; i < 4; ++i) cpu.translate(base_at + i, Access::kWrite, user);
  cpu.write16(insn.seg, ea, reg.limit);
  cpu.write32(insn.seg, base_off, base);
}

void sgdt(Cpu& cpu, const Insn& insn) {
  store_table_register(cpu, insn, cpu.state().gdtr);
  cpu.report_sensitive(insn);
}
void sidt(Cpu& cpu, const Insn& insn) {
  store_table_register(cpu, insn, cpu.state().idtr);
  cpu.report_sensitive(insn);
}

// 0F 01 /4: SMSW, any CPL. Memory gets the low 16 bits of CR0; a 32-bit register all of it.
void smsw(Cpu& cpu, const Insn& insn) {
  store_selector(cpu, insn, cpu.guest_cr0());  // in guest mode through the read shadow
  cpu.report_sensitive(insn);
}

// 0F 01 /6: LMSW loads PE, MP, EM and TS; it can set PE but never clear it.
void lmsw(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  const uint32_t src = read_rm16(cpu, insn) & 0xFu;
  if (cpu.guest_mode()) [[unlikely]]
    vmx_lmsw(cpu, insn, static_cast<uint16_t>(src));
  const uint32_t old = cpu.state().cr0;
  cpu.write_cr0((old & ~0xEu) | src | (old & cr0::PE));
}

// 0F 01 /7: INVLPG m. The operand is a linear address (segment base + offset); no limit
// check applies.
void invlpg(Cpu& cpu, const Insn& insn) {
  require_memory(cpu, insn);
  require_cpl0(cpu);
  const uint32_t lin = cpu.state().seg[insn.seg].base + effective_address(cpu, insn);
  if (cpu.guest_mode() && cpu.vm_controls().invlpg_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kInvlpg, lin, insn.len);  // qualification: the linear address
  }
  cpu.tlb_invlpg(lin);
}

void clts(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  if (cpu.guest_mode()) [[unlikely]]
    vmx_clts(cpu, insn);
  const uint32_t old = cpu.state().cr0;
  cpu.state().cr0 &= ~cr0::TS;
  if (cpu.observer()) cpu.observer()->on_cr_write(0, old, cpu.state().cr0);
}

// INVD, WBINVD: no caches are modeled, so only the privilege check remains.
void invd(Cpu& cpu, const Insn&) {
  require_cpl0(cpu);
}

// 0F 00 /0, /1: SLDT, STR at any CPL.
void sldt(Cpu& cpu, const Insn& insn) {
  require_protected_mode(cpu);
  store_selector(cpu, insn, cpu.state().ldtr.selector);
  cpu.report_sensitive(insn);
}
void str(Cpu& cpu, const Insn& insn) {
  require_protected_mode(cpu);
  store_selector(cpu, insn, cpu.state().tr.selector);
  cpu.report_sensitive(insn);
}

void lldt(Cpu& cpu, const Insn& insn) {
  require_protected_mode(cpu);
  require_cpl0(cpu);
  cpu.load_ldtr(read_rm16(cpu, insn));
}

void ltr(Cpu& cpu, const Insn& insn) {
  require_protected_mode(cpu);
  require_cpl0(cpu);
  cpu.load_task_register(read_rm16(cpu, insn));
}

// RDMSR / WRMSR: ECX selects the MSR, EDX:EAX holds the value. Unknown MSRs #GP(0).
void rdmsr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  if (cpu.guest_mode() && cpu.vm_controls().msr_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kRdmsr, 0, insn.len);
  }
  CpuState& s = cpu.state();
  uint64_t v = 0;
  if (!cpu.read_msr(s.gpr[ECX], v)) cpu.fault_gp(0);
  s.gpr[EAX] = static_cast<uint32_t>(v);
  s.gpr[EDX] = static_cast<uint32_t>(v >> 32);
}

void wrmsr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  if (cpu.guest_mode() && cpu.vm_controls().msr_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kWrmsr, 0, insn.len);
  }
  CpuState& s = cpu.state();
  if (!cpu.write_msr(s.gpr[ECX], uint64_t{s.gpr[EDX]} << 32 | s.gpr[EAX])) cpu.fault_gp(0);
}

// RDPMC (0F 33): no modeled processor has a performance counter (cpu_state.h,
// msr::IA32_PMC0), so ECX never "indicates a supported counter" and the instruction is
// #GP(0) at every CPL, the CR4.PCE check included (SDM Vol. 2B, RDPMC).
void rdpmc(Cpu& cpu, const Insn&) {
  cpu.fault_gp(0);
}

}  // namespace

void register_system(HandlerTable& t) {
  t.set(kTwoByte | 0x20, mov_from_cr);
  t.set(kTwoByte | 0x22, mov_to_cr);
  t.set(kTwoByte | 0x21, mov_from_dr);
  t.set(kTwoByte | 0x23, mov_to_dr);
  t.set_group(kTwoByte | 0x00, 0, sldt);
  t.set_group(kTwoByte | 0x00, 1, str);
  t.set_group(kTwoByte | 0x00, 2, lldt);
  t.set_group(kTwoByte | 0x00, 3, ltr);
  t.set_group(kTwoByte | 0x01, 0, sgdt);
  t.set_group(kTwoByte | 0x01, 1, sidt);
  t.set_group(kTwoByte | 0x01, 2, lgdt);
  t.set_group(kTwoByte | 0x01, 3, lidt);
  t.set_group(kTwoByte | 0x01, 4, smsw);
  t.set_group(kTwoByte | 0x01, 6, lmsw);
  t.set_group(kTwoByte | 0x01, 7, invlpg);
  t.set(kTwoByte | 0x06, clts);
  t.set(kTwoByte | 0x08, invd);
  t.set(kTwoByte | 0x09, invd);
  t.set(kTwoByte | 0x30, wrmsr);
  t.set(kTwoByte | 0x32, rdmsr);
  t.set(kTwoByte | 0x33, rdpmc);
}

bool Cpu::read_msr(uint32_t index, uint64_t& v) {
  switch (bus_.msr_read(index, v)) {
    case Bus::MsrResult::kOk: return true;
    case Bus::MsrResult::kFault: return false;
    case Bus::MsrResult::kUnhandled: break;
  }
  switch (index) {
    case msr::IA32_TSC: v = tsc(); return true;
    // A machine without a local APIC (the bus did not claim the MSR): the bootstrap
    // processor flag (bit 8) and the default base 0xFEE00000, the global enable (bit 11) 0.
    case msr::IA32_APIC_BASE: v = 0xFEE00000u | (1u << 8); return true;
    case msr::IA32_BIOS_SIGN_ID: v = 0; return true;
    case msr::IA32_SYSENTER_CS: v = s_.sysenter_cs; return true;
    case msr::IA32_SYSENTER_ESP: v = s_.sysenter_esp; return true;
    case msr::IA32_SYSENTER_EIP: v = s_.sysenter_eip; return true;
    case msr::IA32_MISC_ENABLE: v = s_.misc_enable; return true;
    case msr::IA32_PAT: v = s_.pat; return true;
    case msr::MSR_PLATFORM_INFO: v = msr::kPlatformInfoCpuidFaulting; return true;
    case msr::MSR_MISC_FEATURES_ENABLES: v = s_.misc_features_enables; return true;
    case msr::IA32_EFER:
      if (!identity_.xd) return false;  // no XD, no long mode: the MSR does not exist
      v = s_.efer;
      return true;
    case msr::IA32_PMC0:
    case msr::IA32_PERFEVTSEL0: return false;  // no architectural PMU (cpu_state.h)
    default: return false;
  }
}

bool Cpu::write_msr(uint32_t index, uint64_t v) {
  switch (bus_.msr_write(index, v)) {
    case Bus::MsrResult::kOk:
      ++tlb_epoch_;  // (the APIC page may have moved: no cached translation may bypass it)
      return true;
    case Bus::MsrResult::kFault: return false;
    case Bus::MsrResult::kUnhandled: break;
  }
  switch (index) {
    case msr::IA32_TSC: set_tsc(v); return true;
    case msr::IA32_APIC_BASE: return true;  // no APIC: accepted, no effect
    case msr::IA32_BIOS_SIGN_ID: return true;
    case msr::IA32_SYSENTER_CS: s_.sysenter_cs = static_cast<uint32_t>(v); return true;
    case msr::IA32_SYSENTER_ESP: s_.sysenter_esp = static_cast<uint32_t>(v); return true;
    case msr::IA32_SYSENTER_EIP: s_.sysenter_eip = static_cast<uint32_t>(v); return true;
    case msr::IA32_MISC_ENABLE: s_.misc_enable = v; return true;
    case msr::IA32_PAT:
      // Each of the eight PAT entries must name a memory type: 0, 1, 4, 5, 6 or 7 (11.12.2).
      for (int i = 0; i < 8; ++i) {
        const uint64_t t = (v >> (8 * i)) & 0xFF;
        if (t == 2 || t == 3 || t > 7) return false;
      }
      s_.pat = v;
      return true;
    case msr::MSR_MISC_FEATURES_ENABLES:
      // Bit 0, CPUID faulting, is the only one this processor has (the others are
      // reserved: #GP). MSR_PLATFORM_INFO is read-only: a write is #GP (default).
      if (v & ~msr::kCpuidFaultingEnable) return false;
      s_.misc_features_enables = v;
      return true;
    case msr::IA32_EFER:
      // NXE is the only bit; LME, LMA and SCE do not exist on these processors.
      if (!identity_.xd || (v & ~msr::kEferNxe)) return false;
      // The TLB's cached rights hold the execute permission NXE decides.
      if ((s_.efer ^ v) & msr::kEferNxe) tlb_drop_all();
      s_.efer = v;
      return true;
    case msr::IA32_PMC0:
    case msr::IA32_PERFEVTSEL0: return false;  // no architectural PMU (cpu_state.h)
    default: return false;
  }
}

}  // namespace vmlab::cpu
