// What ring compression breaks in control transfers and stack loads.
//
// The guest kernel's selectors have RPL 0 and its descriptors DPL 0; in the shadow GDT the
// descriptors have DPL 1. Most uses still work in ring 1 (MOV DS with RPL 0, far JMP and
// CALL: RPL <= CPL suffices), but three checks fail and raise #GP (SDM Vol. 2, IRET, RET,
// MOV/POP/LSS): a return to a code selector whose RPL is below the CPL, and a stack
// selector whose RPL differs from the CPL. The monitor performs them with RPL 1, and for
// IRET gives the popped IF to the virtual CPU (the real IF stays 1). A selector past the
// guest's table is #GP(selector), as natively: the shadow's slots there are empty or the
// monitor's own (bt's TC code and %gs data, DPL 1), which the guest may never load.
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/guest_stack.h"
#include "engine/vmm/kit/privileged_emulator.h"

namespace vmlab::vmm {

namespace {

// The EFLAGS bits an IRET to ring 0 restores, except IF and IOPL: IF is the guest's
// virtual flag, IOPL stays the monitor's 0 (so that CLI/STI and port I/O keep trapping).
constexpr uint32_t kIretFlags = cpu::flags::kStatus | cpu::flags::TF | cpu::flags::DF |
                                cpu::flags::NT | cpu::flags::RF | cpu::flags::AC | cpu::flags::ID;

}  // namespace

uint32_t PrivilegedEmulator::return_limit(uint16_t real, const cpu::Descriptor& cs) {
  // (Asked only past the cut: the guest's descriptor is read from its memory.) A return
  // beyond the cut limit but within the guest's own (into the hole, or the gap below it)
  // is the guest's right: the processor fetches nothing there (the CS cache keeps
  // the cut) and the monitor executes what lies there (emulate_far_transfer.cpp).
  return guest_code_limit(cs.to_cache(real));
}

void PrivilegedEmulator::record_return_past_cut(const cpu::Descriptor& cs, uint32_t eip) {
  if (eip > cs.limit()) c_.recorder.record(EventKind::hole_access, {cs.base() + eip, 0, 0, 0});
}

bool PrivilegedEmulator::guest_stack_holds(unsigned slots, unsigned width) const {
  const cpu::SegmentCache& ss = c_.cpu.state().seg[cpu::SS];
  const cpu::SegmentCache own = c_.segments != nullptr ? guest_segment_view(*c_.segments, ss) : ss;
  return stack_slots_fit(own, ss.stack_top(c_.cpu.state().gpr[cpu::ESP]), slots, width);
}

bool PrivilegedEmulator::read_frame(uint32_t sp, bool o16, uint32_t* slots, unsigned n,
                                    Outcome& fault) {
  // A return frame of `n` slots, each 2 bytes (o16) or 4, zero-extended into `slots`.
  if (!o16) return read_mem(sp, slots, n * 4, fault);
  uint16_t words[3] = {};
  if (!read_mem(sp, words, n * 2, fault)) return false;
  for (unsigned i = 0; i < n; ++i) slots[i] = words[i];
  return true;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::iret(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  // The guest's IRET ends its blocking by NMI, even one that faults (cpu.h, raise_nmi).
  c_.cpu.nmi_unblocked_by_iret();
  // The current EFLAGS.NT, not the image's, makes IRET a return from a nested task (SDM
  // Vol. 2, IRET: "IF EFLAGS.NT = 1 THEN GOTO TASK-RETURN"): its checks on the link in the
  // guest's TSS, whose faults are the guest's (random guest seed 22228 of
  // tests/robustness/differential.py), then the switch back (emulate_guest_task_switch.cpp).
  // An image with NT set only sets NT for the code returned to (kIretFlags).
  if (s.eflags & cpu::flags::NT) return nested_task_return(insn);
  // A 16-bit IRET (66 CF) pops IP, CS and FLAGS, two bytes each, and replaces only the
  // low 16 bits of EFLAGS (SDM Vol. 2, IRET: "EFLAGS(15:0) <- Pop()").
  const cpu::SegmentCache& ss = s.seg[cpu::SS];
  uint32_t frame[3];
  Outcome fault;
  if (!guest_stack_holds(3, insn.o16 ? 2 : 4)) return {Verdict::kFault, cpu::vec::SS, true, 0};
  if (!read_frame(ss.base + ss.stack_top(s.gpr[cpu::ESP]), insn.o16, frame, 3, fault)) {
    return fault;
  }
  const uint32_t eip = frame[0];
  const auto cs_sel = static_cast<uint16_t>(frame[1]);
  const uint32_t popped = insn.o16 ? (s.eflags & 0xFFFF0000u) | frame[2] : frame[2];
  // At the guest kernel's CPL 0 a 32-bit IRET whose image has VM set returns to virtual-
  // 8086 mode whatever the CS image holds (SDM Vol. 2, IRET: the check precedes every
  // check of CS), which vmlab does not model: the run stops as natively. The processor in
  // ring 1 ignores VM and checks the CS image (random guest seed 9141 of
  // tests/robustness/differential.py: a #GP(0xFFFC) where natively the run stops; bt's
  // IRET callout makes the same check).
  if (!insn.o16 && (popped & cpu::flags::VM)) {
    c_.cpu.unsupported("IRET to virtual-8086 mode: V86 mode is not implemented");
  }
  // Only the return to the guest kernel (RPL 0) is the monitor's business; anything else
  // faulted for a reason the guest would see natively.
  if ((cs_sel & 3) != 0) return {Verdict::kNotEmulated};
  const uint16_t real = VirtualCpu::real_selector(cs_sel);
  const cpu::Descriptor cs{segments().descriptor(real)};
  if (cpu::is_null_selector(cs_sel)) return gp(0);
  if (!segments().guest_slot(real)) return gp(cs_sel & 0xFFFCu);  // (past the guest's GDT)
  // A return to RPL 0: a CS of DPL 0, conforming or not (SDM Vol. 2, IRET: DPL > RPL, or
  // nonconforming with DPL != RPL, is #GP); the shadow's DPL 1 is the guest's 0 or its own
  // 1, so the guest's descriptor decides.
  if (!cs.is_code() || cs.dpl() != 1 || !guest_dpl_zero(cs_sel)) return gp(cs_sel & 0xFFFCu);
  if (!cs.present()) return {Verdict::kFault, cpu::vec::NP, true, cs_sel & 0xFFFCu};
  if (eip > cs.limit() && eip > return_limit(real, cs)) return gp(0);
  if (Outcome pf; !mark_loaded(real, cs, pf)) return pf;
  record(insn);
  record_return_past_cut(cs, eip);
  s.seg[cpu::CS] = cs.to_cache(real);
  s.eip = eip;
  s.gpr[cpu::ESP] = s.seg[cpu::SS].stack_moved(s.gpr[cpu::ESP], insn.o16 ? 6 : 12);
  c_.cpu.set_eflags((s.eflags & ~kIretFlags) | (popped & kIretFlags) | cpu::flags::IF);
  c_.vcpu.interrupts_enabled = (popped & cpu::flags::IF) != 0;
  c_.vcpu.iopl = static_cast<uint8_t>((popped & cpu::flags::IOPL) >> cpu::flags::IOPL_SHIFT);
  // An interrupt held back while IF was clear may be taken now.
  if (c_.vcpu.interrupts_enabled) c_.cpu.request_event_check();
  return {};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::far_return(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  // A 16-bit far RET (66 CB/CA) pops IP and CS, two bytes each (SDM Vol. 2, RET).
  const uint32_t release = insn.op_count > 0 && insn.ops[0].kind == GuestOperand::Kind::kImm
                               ? insn.ops[0].imm & 0xFFFFu
                               : 0;
  const cpu::SegmentCache& ss = s.seg[cpu::SS];
  uint32_t frame[2];
  Outcome fault;
  if (!guest_stack_holds(2, insn.o16 ? 2 : 4)) return {Verdict::kFault, cpu::vec::SS, true, 0};
  if (!read_frame(ss.base + ss.stack_top(s.gpr[cpu::ESP]), insn.o16, frame, 2, fault)) {
    return fault;
  }
  const auto cs_sel = static_cast<uint16_t>(frame[1]);
  if ((cs_sel & 3) != 0) return {Verdict::kNotEmulated};
  if (cpu::is_null_selector(cs_sel)) return gp(0);
  const uint16_t real = VirtualCpu::real_selector(cs_sel);
  if (!segments().guest_slot(real)) return gp(cs_sel & 0xFFFCu);  // (past the guest's GDT)
  const cpu::Descriptor cs{segments().descriptor(real)};
  // A return to RPL 0: a nonconforming CS of DPL 0, a conforming one of DPL 0 too (SDM
  // Vol. 2, RET: DPL > RPL, or nonconforming with DPL != RPL, is #GP); the shadow's DPL 1
  // is the guest's 0 or its own 1, so the guest's descriptor decides.
  if (!cs.is_code() || cs.dpl() != 1 || !guest_dpl_zero(cs_sel)) return gp(cs_sel & 0xFFFCu);
  if (!cs.present()) return {Verdict::kFault, cpu::vec::NP, true, cs_sel & 0xFFFCu};
  if (frame[0] > cs.limit() && frame[0] > return_limit(real, cs)) return gp(0);
  if (Outcome pf; !mark_loaded(real, cs, pf)) return pf;
  record(insn);
  record_return_past_cut(cs, frame[0]);
  s.seg[cpu::CS] = cs.to_cache(real);
  s.eip = frame[0];
  s.gpr[cpu::ESP] = s.seg[cpu::SS].stack_moved(s.gpr[cpu::ESP],
                                               static_cast<int32_t>((insn.o16 ? 4 : 8) + release));
  return {};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::return_to_middle_ring(uint16_t cs_sel) {
  const auto guest = segments().guest_descriptor(cs_sel);
  const unsigned rpl = cs_sel & 3u;
  if (!guest) return gp(cs_sel & 0xFFFCu);  // past the guest's table, or unmapped
  const cpu::Descriptor d{*guest};
  if (!d.is_code() || (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)) {
    return gp(cs_sel & 0xFFFCu);
  }
  if (!d.present()) return {Verdict::kFault, cpu::vec::NP, true, cs_sel & 0xFFFCu};
  c_.cpu.unsupported("a return to the guest's ring " + std::to_string(rpl) +
                     " (ring compression runs the guest's rings 0 and 3 only)");
  return {};
}

std::optional<PrivilegedEmulator::Outcome> PrivilegedEmulator::operand_limit_fault(
    const GuestInsn& insn, const GuestOperand& op, unsigned size) const {
  const cpu::CpuState& s = c_.cpu.state();
  const uint32_t offset = linear_of(insn, op) - s.seg[op.seg].base;
  if (segment_allows(op.seg, offset, size, false)) return std::nullopt;
  // A read past the segment's limit (an expand-down segment's too) or through an unusable
  // or execute-only one: #SS(0) through SS, else #GP(0) (SDM Vol. 3A, 5.3; Vol. 2, LSS).
  return Outcome{Verdict::kFault, op.seg == cpu::SS ? cpu::vec::SS : cpu::vec::GP, true, 0};
}

bool PrivilegedEmulator::guest_dpl_zero(uint16_t selector) const {
  const auto guest = segments().guest_descriptor(selector);
  return guest && cpu::Descriptor{*guest}.dpl() == 0;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::load_stack_segment(const GuestInsn& insn) {
  cpu::CpuState& s = c_.cpu.state();
  Outcome fault;
  uint16_t sel = 0;
  uint32_t offset = 0;  // LSS: the new ESP
  uint32_t pop_bytes = 0;
  if (insn.id == X86_INS_POP) {
    if (insn.ops[0].kind != GuestOperand::Kind::kSreg || insn.ops[0].reg != cpu::SS) {
      return {Verdict::kNotEmulated};
    }
    // The processor reads [SS:SP] on a 16-bit stack (SS.B = 0) and [SS:ESP] on a 32-bit
    // one, as wide as the operand (SDM Vol. 2, POP: "StackAddrSize"); the selector is the
    // low word.
    pop_bytes = insn.o16 ? 2 : 4;
    if (!guest_stack_holds(1, pop_bytes)) return {Verdict::kFault, cpu::vec::SS, true, 0};
    const uint32_t top = s.seg[cpu::SS].stack_top(s.gpr[cpu::ESP]);
    uint8_t popped[4];
    if (!read_mem(s.seg[cpu::SS].base + top, popped, pop_bytes, fault)) return fault;
    sel = static_cast<uint16_t>(popped[0] | popped[1] << 8);
  } else if (insn.id == X86_INS_LSS) {
    uint8_t ptr[6];
    if (const auto f = operand_limit_fault(insn, insn.ops[1], insn.o16 ? 4 : 6)) return *f;
    if (!read_mem(linear_of(insn, insn.ops[1]), ptr, insn.o16 ? 4 : 6, fault)) return fault;
    offset = insn.o16 ? uint32_t{ptr[0]} | uint32_t{ptr[1]} << 8
                      : uint32_t{ptr[0]} | uint32_t{ptr[1]} << 8 | uint32_t{ptr[2]} << 16 |
                            uint32_t{ptr[3]} << 24;
    const unsigned at = insn.o16 ? 2 : 4;
    sel = static_cast<uint16_t>(ptr[at] | ptr[at + 1] << 8);
  } else {
    const GuestOperand& src = insn.ops[1];
    if (src.kind == GuestOperand::Kind::kMem) {
      if (const auto f = operand_limit_fault(insn, src, 2)) return *f;
      if (!read_mem(linear_of(insn, src), &sel, 2, fault)) return fault;
    } else {
      sel = static_cast<uint16_t>(read_gpr(src.reg, 2));
    }
  }
  if ((sel & 3) != 0) {
    // Natively (the guest kernel at CPL 0) a selector with RPL 1-3 is #GP(selector) (the
    // limit check, then RPL against CPL: SDM Vol. 2, MOV), a null one #GP(0); the
    // processor in ring 1 would take RPL 1 for its own (and the monitor's DPL-1 slots
    // past the guest's limit with it). From ring 3 the processor's own fault stands.
    if (s.cpl != 1) return {Verdict::kNotEmulated};
    return gp(cpu::is_null_selector(sel) ? 0 : sel & 0xFFFCu);
  }
  if (cpu::is_null_selector(sel)) return gp(0);
  const uint16_t real = VirtualCpu::real_selector(sel);
  if (!segments().guest_slot(real)) return gp(sel & 0xFFFCu);  // (past the guest's GDT)
  const cpu::Descriptor d{segments().descriptor(real)};
  // The DPL must be the virtual CPL, 0 (SDM Vol. 2, MOV: "IF DPL != CPL THEN #GP(selector)"):
  // the shadow's DPL 1 is the guest's 0 compressed or the guest's own 1, so the guest's
  // descriptor decides.
  if (!d.writable() || d.dpl() != 1 || !guest_dpl_zero(sel)) return gp(sel & 0xFFFCu);
  if (!d.present()) return {Verdict::kFault, cpu::vec::SS, true, sel & 0xFFFCu};
  if (Outcome pf; !mark_loaded(real, d, pf)) return pf;
  record(insn);
  // The pop moves the old stack's pointer.
  s.gpr[cpu::ESP] = s.seg[cpu::SS].stack_moved(s.gpr[cpu::ESP], static_cast<int32_t>(pop_bytes));
  s.seg[cpu::SS] = d.to_cache(real);
  if (insn.id == X86_INS_LSS) write_gpr(insn.ops[0].reg, insn.o16 ? 2 : 4, offset);
  s.eip += insn.length;
  if (insn.id != X86_INS_LSS) {
    // MOV SS and POP SS hold off interrupts for one instruction (SDM Vol. 3A, 6.8.3).
    s.interrupt_shadow = true;
    c_.cpu.request_event_check();
  }
  return {};
}

}  // namespace vmlab::vmm
