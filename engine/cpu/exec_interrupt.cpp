// INT n, INT3, INTO, INT1, IRET, CLI, STI, PUSHF, POPF, HLT.
//
// SDM Vol. 2: the pseudo-code of each instruction; Vol. 3A 6.8.1 (masking with IF, the
// IOPL-sensitive CLI/STI), 6.8.3 (the STI interrupt shadow), Vol. 1 3.4.3 (EFLAGS).
// POPF and IRET are where ring compression shows the Popek-Goldberg hole: below the
// privilege the rule needs, they drop a change of IF or IOPL silently instead of faulting.
#include "engine/cpu/cpu.h"
#include "engine/cpu/exec_families.h"
#include "engine/cpu/operands.h"

namespace vmlab::cpu {

namespace {

// CD ib. The saved EIP is the next instruction (state().eip is already past this one).
void int_n(Cpu& cpu, const Insn& insn) {
  cpu.deliver_interrupt(static_cast<uint8_t>(insn.imm), EventSource::kSoftware, false, 0);
}

void int3(Cpu& cpu, const Insn&) {
  cpu.deliver_interrupt(vec::BP, EventSource::kInt3, false, 0);
}

// CE: a trap to vector 4 only when OF is set.
void into(Cpu& cpu, const Insn&) {
  if (cpu.state().eflags & flags::OF) cpu.deliver_interrupt(vec::OF, EventSource::kInto, false, 0);
}

// F1 (INT1 / ICEBP): a #DB trap without the gate-DPL check of INT n (INT n pseudo-code,
// "does not apply to INT1").
void int1(Cpu& cpu, const Insn&) {
  cpu.deliver_interrupt(vec::DB, EventSource::kException, false, 0);
}

void iret(Cpu& cpu, const Insn& insn) {
  // Every IRET ends blocking by NMI, before anything of it can fault (cpu.h).
  cpu.nmi_unblocked_by_iret();
  // Sensitive only when the image's IOPL or IF was dropped (CPL > 0): a deprivileged
  // kernel's IRET to user mode that loses nothing is not counted.
  if (cpu.interrupt_return(insn.o16())) cpu.report_sensitive(insn);
}

// CLI and STI change IF only when CPL <= IOPL; otherwise #GP(0) (no VME/PVI here).
void cli(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.state();
  if (s.cpl > s.iopl()) cpu.fault_gp(0);
  cpu.set_eflags(s.eflags & ~flags::IF);
}

void sti(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.state();
  if (s.cpl > s.iopl()) cpu.fault_gp(0);
  // Interrupts stay blocked until after the next instruction, but only when STI actually
  // sets IF (6.8.3): "sti; hlt" and "sti; ret" rely on it.
  if (!(s.eflags & flags::IF)) {
    s.interrupt_shadow = true;
    cpu.request_event_check();
  }
  cpu.set_eflags(s.eflags | flags::IF);
}

// 9C. Any CPL may read EFLAGS, IF and IOPL included: a deprivileged kernel sees the real
// flags, not the ones it believes it set. VM and RF are cleared in the image.
void pushf(Cpu& cpu, const Insn& insn) {
  const uint32_t image = cpu.state().eflags & ~(flags::VM | flags::RF);
  pushv(cpu, insn, image);
  cpu.report_sensitive(insn);
}

// 9D. POPF pseudo-code (protected mode, VM = 0): at CPL 0 every flag but VM, VIF, VIP may
// change; at CPL > 0 IOPL does not change; at CPL > IOPL IF does not change either. No
// fault is raised for the refused bits: they are silently kept.
void popf(Cpu& cpu, const Insn& insn) {
  CpuState& s = cpu.state();
  const uint32_t v = popv(cpu, insn);
  uint32_t mask = flags::kStatus | flags::TF | flags::IF | flags::DF | flags::IOPL | flags::NT |
                  flags::AC | flags::ID;
  if (s.cpl > 0) mask &= ~flags::IOPL;
  if (s.cpl > s.iopl()) mask &= ~flags::IF;
  if (insn.o16()) mask &= 0xFFFFu;
  // RF is cleared by a 32-bit POPF.
  const uint32_t keep = insn.o16() ? s.eflags : s.eflags & ~flags::RF;
  cpu.set_eflags((keep & ~mask) | (v & mask));
  cpu.report_sensitive(insn);
}

void hlt(Cpu& cpu, const Insn& insn) {
  if (cpu.state().cpl != 0) cpu.fault_gp(0);
  if (cpu.guest_mode() && cpu.vm_controls().hlt_exiting) [[unlikely]] {
    cpu.vm_exit(vmx::ExitReason::kHlt, 0, insn.len);
  }
  cpu.state().halted = true;
  cpu.request_event_check();
}

}  // namespace

void register_interrupt(HandlerTable& t) {
  t.set(0xCD, int_n);
  t.set(0xCC, int3);
  t.set(0xCE, into);
  t.set(0xF1, int1);
  t.set(0xCF, iret);
  t.set(0xFA, cli);
  t.set(0xFB, sti);
  t.set(0x9C, pushf);
  t.set(0x9D, popf);
  t.set(0xF4, hlt);
}

}  // namespace vmlab::cpu
