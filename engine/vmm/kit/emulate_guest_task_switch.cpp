// A hardware task switch under ring compression: the classic CPU's trap-and-emulate and
// binary translation (issue 12).
//
// The shadow GDT copies no system descriptors (deprivileged_segments.h), so a far JMP or
// CALL to a guest TSS or task gate faults in ring 1, IRET with EFLAGS.NT is the monitor's
// (emulated, or bt's IRET callout) and an event through a task gate of the guest's IDT is
// the monitor's to deliver (guest_event_injector.h). The monitor has the processor model's
// own routine make the switch (engine/cpu/far_transfer.cpp and task_switch.cpp: the checks
// of task_checks.h, then Cpu::switch_task, SDM Vol. 3A 7.3 and table 7-1), as the VT
// monitor does under shadow paging (emulate_task_switch.cpp): on the scratch processor
// (scratch_execution.h) in the guest's view (its GDTR, LDTR and TR, its CPL, its selectors
// with RPL 0, the EFLAGS image with its virtual IF and IOPL), the new task's CR3 kept for
// the shadow MMU (cpu::TaskSwitching::kMonitorKeepsCr3), the hypervisor hole the guest's
// there (a TSS, GDT or LDT of the guest's in the hole stops the run before the scratch
// processor reads it: cpu::Cpu::fence_system_accesses; the monitor's own structures are
// never read or written in the guest's place). The stores (the old task's state,
// the link, the busy bits, the accessed bits) are committed through the shadow MMU: the
// guest's GDT pages are traced, so the shadow GDT sees a busy bit the switch writes as it
// sees the guest's own stores. The new task's state then goes onto the real processor
// through ring compression: CR3 into the shadow MMU as a MOV to CR3 does, TR and LDTR to the
// virtual CPU (the guest's LDT copied into the shadow LDT as at LLDT, the monitor TSS's
// SS1:ESP1 following the new TSS's SS0:ESP0 as at LTR), CR0.TS to the virtual CR0, IF and
// IOPL to the virtual CPU, the segment registers from the shadow's compressed slots (RPL 1
// for the guest's 0). A fault before the commit point changes nothing and is the old
// task's; after it, the new task's, in the state loaded up to the fault.
#include <capstone/capstone.h>

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_checks.h"
#include "engine/cpu/task_switch.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

namespace {

bool below_hole(uint64_t base, uint64_t limit) {
  return base + limit < hole::kBase;
}

// The scratch processor performs task switches for the one operation in its scope, and
// stops after the checks again for every other (its default, scratch_execution.cpp).
class ScratchTaskSwitching {
 public:
  explicit ScratchTaskSwitching(cpu::Cpu& scratch) : cpu_(scratch) {
    cpu_.set_task_switching(cpu::TaskSwitching::kMonitorKeepsCr3);
  }
  ~ScratchTaskSwitching() { cpu_.set_task_switching(cpu::TaskSwitching::kStopAfterChecks); }
  ScratchTaskSwitching(const ScratchTaskSwitching&) = delete;
  ScratchTaskSwitching& operator=(const ScratchTaskSwitching&) = delete;

 private:
  cpu::Cpu& cpu_;
};

}  // namespace

PrivilegedEmulator::Outcome PrivilegedEmulator::far_task_switch(const GuestInsn& insn) {
  const VirtualCpu& v = c_.vcpu;
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode() || insn.op_count == 0) {
    return {Verdict::kNotEmulated};
  }
  // The target selector: the immediate of ptr16:16/32, or the word after the offset of an
  // m16:16/32 operand. (The offset itself is ignored by a task switch.)
  uint16_t sel = 0;
  if (insn.ops[0].kind == GuestOperand::Kind::kImm && insn.op_count == 2) {
    sel = static_cast<uint16_t>(insn.ops[0].imm);
  } else if (insn.ops[0].kind == GuestOperand::Kind::kMem) {
    Outcome fault;
    if (!read_mem(linear_of(insn, insn.ops[0]) + (insn.o16 ? 2 : 4), &sel, 2, fault)) {
      return {Verdict::kNotEmulated};  // the real processor's fault stands
    }
  } else {
    return {Verdict::kNotEmulated};
  }
  // Only a TSS or task gate of the guest's tables: every other target is in the shadow
  // tables as the guest has it (compressed), and the real processor's fault was already
  // the hardware's.
  const auto ldt = guest_ldt_cache();
  if (!ldt || !below_hole(v.gdtr.base, v.gdtr.limit)) return {Verdict::kNotEmulated};
  {
    const bool local = sel & 4;
    const uint32_t table = local ? ldt->base : v.gdtr.base;
    const uint32_t limit = local ? (ldt->usable ? ldt->limit : 0) : v.gdtr.limit;
    if (cpu::is_null_selector(sel) || (local && !ldt->usable) || (sel & 0xFFF8u) + 7u > limit) {
      return {Verdict::kNotEmulated};
    }
    uint64_t raw = 0;
    if (!c_.memory.read(table + (sel & 0xFFF8u), &raw, 8, false)) return {Verdict::kNotEmulated};
    if (!cpu::is_task_target(cpu::Descriptor{raw})) return {Verdict::kNotEmulated};
  }
  const bool call = insn.id == X86_INS_LCALL;
  const uint32_t next = c_.cpu.state().eip + insn.length;
  return guest_task_switch(
      [&](cpu::Cpu& c) {
        c.state().eip = next;
        if (call) {
          c.far_call(sel, 0, insn.o16);
        } else {
          c.far_jump(sel, 0, insn.o16);
        }
      },
      &insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::nested_task_return(const GuestInsn& insn) {
  const uint32_t next = c_.cpu.state().eip + insn.length;
  return guest_task_switch(
      [&](cpu::Cpu& c) {
        c.state().eip = next;
        c.interrupt_return(insn.o16);
      },
      &insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::task_return_fault(uint32_t error_code) {
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode() || error_code != 0 ||
      !(c_.cpu.state().eflags & cpu::flags::NT)) {
    return {Verdict::kNotEmulated};
  }
  Outcome fault;
  const auto insn = fetch(fault);
  if (!insn || (insn->id != X86_INS_IRET && insn->id != X86_INS_IRETD)) {
    return {Verdict::kNotEmulated};
  }
  // The guest's IRET ends its blocking by NMI, even one that faults (cpu.h, raise_nmi).
  c_.cpu.nmi_unblocked_by_iret();
  return nested_task_return(*insn);
}

PrivilegedEmulator::Outcome PrivilegedEmulator::gate_task_switch(uint16_t selector,
                                                                 bool has_error_code,
                                                                 uint32_t error_code) {
  // The gate's TSS passed the checks of the INT n pseudo-code ("TASK-GATE") in the
  // injector; the processor reads its descriptor again from the guest's GDT.
  return guest_task_switch(
      [&](cpu::Cpu& c) {
        cpu::Descriptor d;
        if ((selector & 4) || !c.fetch_descriptor(selector, d.raw)) {
          c.fault_gp(cpu::selector_error(selector));
        }
        c.switch_task({selector, d}, cpu::TaskSource::kIdtGate, has_error_code, error_code);
      },
      nullptr);
}

std::optional<cpu::SegmentCache> PrivilegedEmulator::guest_ldt_cache() const {
  // The LDT the guest's LDTR names, as the processor has it cached: read from the guest's
  // GDT (below the hole: the scratch processor would read the monitor's tables there).
  const VirtualCpu& v = c_.vcpu;
  cpu::SegmentCache ldt = cpu::null_segment(v.ldtr);
  ldt.s = false;
  if (cpu::is_null_selector(v.ldtr)) return ldt;
  uint64_t raw = 0;
  if ((v.ldtr & 0xFFF8u) + 7u > v.gdtr.limit ||
      !c_.memory.read(v.gdtr.base + (v.ldtr & 0xFFF8u), &raw, 8, false)) {
    return std::nullopt;
  }
  ldt = cpu::Descriptor{raw}.to_cache(v.ldtr);
  if (!below_hole(ldt.base, ldt.limit)) return std::nullopt;
  return ldt;
}

PrivilegedEmulator::Outcome PrivilegedEmulator::guest_task_switch(
    const std::function<void(cpu::Cpu&)>& op, const GuestInsn* insn) {
  const VirtualCpu& v = c_.vcpu;
  // The guest's GDT, LDT and current TSS, where the scratch processor reads them: a table
  // that reaches the hypervisor hole would be the monitor's there.
  const auto ldt = guest_ldt_cache();
  if (!ldt || !below_hole(v.gdtr.base, v.gdtr.limit)) {
    c_.cpu.unsupported("a task switch whose GDT or LDT reaches the hypervisor hole");
  }
  if (!below_hole(v.tss_base, v.tss_limit)) {
    c_.cpu.unsupported("a task switch from a TSS in the hypervisor hole");
  }
  // The current task's TR as LTR (or the last switch) loaded it: busy, 32-bit or 16-bit
  // as the guest's descriptor says.
  // Before any LTR, the TR the processor has after reset (SDM Vol. 3A, table 9-1: base
  // 0, limit 0FFFFH, a busy 32-bit TSS), as natively (random guest seed 22228's IRET with NT).
  uint64_t tr_raw = 0;
  if (!cpu::is_null_selector(v.tr)) {
    c_.memory.read(v.gdtr.base + (v.tr & 0xFFF8u), &tr_raw, 8, false);
  }
  cpu::SegmentCache tr = cpu::Descriptor{tr_raw}.to_cache(v.tr);
  tr.base = cpu::is_null_selector(v.tr) ? 0 : v.tss_base;
  tr.limit = cpu::is_null_selector(v.tr) ? 0xFFFF : v.tss_limit;
  tr.s = false;
  tr.present = true;
  if (tr.type != cpu::sys_type::kTss16Busy) tr.type = cpu::sys_type::kTss32Busy;

  if (!scratch_) make_scratch();
  const bool kernel = c_.cpu.state().cpl == 1;
  ScratchExecution::Effects r;
  std::optional<uint32_t> cr3;
  bool committed = false;
  {
    cpu::Cpu& scratch = scratch_->processor();
    ScratchTaskSwitching performs(scratch);
    r = scratch_->perform(
        op,
        [&](cpu::CpuState& st) {
          st.gdtr = v.gdtr;
          st.ldtr = *ldt;
          st.tr = tr;
          st.cpl = VirtualCpu::virtual_cpl(st.cpl);
          for (cpu::SegmentCache& seg : st.seg)
            seg.selector = VirtualCpu::guest_selector(seg.selector);
          // The EFLAGS the old task saves: the guest's IOPL, and in its kernel its virtual IF.
          st.eflags =
              (st.eflags & ~cpu::flags::IOPL) | (uint32_t{v.iopl} << cpu::flags::IOPL_SHIFT);
          if (kernel) st.eflags = v.kernel_eflags_image(st.eflags);
        },
        true);
    committed = scratch.task_switch_committed();
    cr3 = scratch.task_switch_cr3();
  }
  if (!r.unsupported.empty()) {
    c_.cpu.unsupported("a task switch the monitor cannot perform: " + r.unsupported);
  }
  if (!committed) {
    // Before the commit point: the old task's fault, nothing changed.
    if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
    if (r.retired || r.vector == 0) {
      c_.cpu.unsupported("a task switch the scratch processor did not make");
    }
    return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
  }
  if (insn) record(*insn);
  enter_new_task(r, cr3);
  if (r.retired) return {};
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

void PrivilegedEmulator::enter_new_task(const ScratchExecution::Effects& r,
                                        std::optional<uint32_t> cr3) {
  VirtualCpu& v = c_.vcpu;
  cpu::CpuState& s = c_.cpu.state();
  const cpu::CpuState& n = r.state;
  // The stores, through the shadow MMU (a busy bit on a traced GDT page updates the shadow
  // GDT, as the guest's own store there would).
  for (const ScratchExecution::Write& w : r.writes) {
    if (w.machine) {
      for (unsigned b = 0; b < w.size; ++b) {
        c_.cpu.phys_write8(w.gpa + b, static_cast<uint8_t>(w.value >> (8 * b)));
      }
      if (c_.segments) c_.segments->machine_written(w.gpa);
      continue;
    }
    commit(w.gpa, w.value, w.size);
  }
  // CR3 first, as the processor loads it before the LDTR (SDM Vol. 3A 7.3, step 12): the
  // new LDT is copied through the new task's page tables. The shadows are kept coherent
  // by tracing, so the load selects (or builds) the shadow root, as a MOV to CR3 does.
  if (cr3 && v.paging()) {
    const uint32_t old = v.cr3;
    v.cr3 = *cr3 & cpu::cr3::kDefined;
    c_.recorder.record(EventKind::cr3_switch, {old, v.cr3, 0, 0});
    c_.recorder.record(EventKind::tlb_flush, {0, 0, 0, 0});
    c_.shadow.activate();
  }
  v.cr0 |= cpu::cr0::TS;
  mirror_cr0();
  // TR: the guest's; the real one stays the monitor's TSS, whose SS1:ESP1 follow the new
  // task's SS0:ESP0 (figure 7-2; a 16-bit TSS's SS0:SP0, figure 7-10).
  v.tr = n.tr.selector;
  v.tss_base = n.tr.base;
  v.tss_limit = n.tr.limit;
  if (n.tr.type == cpu::sys_type::kTss16Busy) {
    // A 16-bit TSS's SP0 and SS0 (figure 7-10).
    const auto sp0 = c_.memory.read16(v.tss_base + cpu::tss16::kSp0);
    const auto ss0 = c_.memory.read16(v.tss_base + cpu::tss16::kSs0);
    if (sp0 && ss0) segments().sync_tss(*ss0, *sp0);
  } else {
    const auto esp0 = c_.memory.read32(v.tss_base + 4);
    const auto ss0 = c_.memory.read16(v.tss_base + 8);
    if (esp0 && ss0) segments().sync_tss(*ss0, *esp0);
  }
  // LDTR: the new task's LDT into the shadow LDT, as LLDT does; a selector the switch
  // refused (#TS after the commit point) or null leaves no LDT.
  v.ldtr = n.ldtr.selector;
  uint64_t ldt_raw = 0;
  if (!cpu::is_null_selector(n.ldtr.selector) && n.ldtr.present &&
      c_.memory.read(v.gdtr.base + (n.ldtr.selector & 0xFFF8u), &ldt_raw, 8, false)) {
    std::string error;
    if (!segments().load_ldt(n.ldtr.selector, ldt_raw, c_.memory, error)) {
      c_.cpu.unsupported(error);
    }
  } else {
    segments().clear_ldt(n.ldtr.selector);
  }
  // The segment registers, from the shadow's compressed slots of the selectors the switch
  // loaded; one the switch did not reach (a fault after the commit point) holds its
  // selector alone, as natively.
  if (n.cpl == 1 || n.cpl == 2) {
    c_.cpu.unsupported("a task switch to a task at ring " + std::to_string(n.cpl) +
                       ": ring compression runs the guest's rings 0 and 3 only");
  }
  const uint8_t real_cpl = n.cpl == 0 ? 1 : 3;
  for (unsigned i = 0; i < cpu::kNumSegRegs; ++i) {
    const cpu::SegmentCache& g = n.seg[i];
    if (cpu::is_null_selector(g.selector)) {
      s.seg[i] = cpu::null_segment(g.selector);
      continue;
    }
    // CS and SS take the real CPL as their RPL (RPL 1 for the guest kernel's 0); a data
    // segment keeps the guest's selector, as the guest's own MOV to DS in ring 1 loads it
    // (RPL 0 on a compressed DPL-1 descriptor passes the processor's checks).
    uint16_t real = g.selector;
    if (i == cpu::CS) real = static_cast<uint16_t>((g.selector & 0xFFFCu) | real_cpl);
    if (i == cpu::SS) real = VirtualCpu::real_selector(g.selector);
    if (!g.present || !g.usable) {
      s.seg[i] = cpu::null_segment(real);
      continue;
    }
    const cpu::Descriptor d{segments().descriptor(real)};
    if (!d.s() || !d.present()) {
      c_.cpu.unsupported("a task switch loaded selector " + std::to_string(g.selector) +
                         ", which the shadow tables do not hold");
    }
    s.seg[i] = d.to_cache(real);
  }
  s.cpl = real_cpl;
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = n.gpr[i];
  s.eip = n.eip;
  s.halted = false;
  s.interrupt_shadow = false;
  // EFLAGS: IOPL is the guest's (the real one stays 0 in its kernel, so that its port
  // access and CLI/STI keep trapping; under bt user code runs with it); in its kernel IF
  // is the virtual CPU's, the real one stays set.
  const uint32_t f = n.eflags;
  v.iopl = static_cast<uint8_t>((f & cpu::flags::IOPL) >> cpu::flags::IOPL_SHIFT);
  uint32_t real_flags = f & ~cpu::flags::IOPL;
  if (n.cpl == 0) {
    v.interrupts_enabled = (f & cpu::flags::IF) != 0;
    real_flags |= cpu::flags::IF;
  } else if (virtual_sensitive_) {
    real_flags |= f & cpu::flags::IOPL;
  }
  c_.cpu.set_eflags(real_flags);
  if (v.interrupts_enabled) c_.cpu.request_event_check();
}

}  // namespace vmlab::vmm
