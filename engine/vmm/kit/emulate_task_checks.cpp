// A far JMP or CALL to a TSS or task gate under ring compression (issue 12, items 2 and 5).
//
// The shadow GDT copies only code and data descriptors (deprivileged_segments.h): a TSS
// descriptor or task gate of the guest's is an empty slot there, so the real processor
// answers a far JMP or CALL to one with #GP(selector) whatever the guest's descriptor
// says, where the hardware runs the checks of the JMP and CALL pseudo-code and of the
// task switch's first steps (SDM Vol. 2A/2B, JMP and CALL, "TASK-GATE" and
// "TASK-STATE-SEGMENT"; Vol. 3A, 7.3 and table 7-1): #GP of the gate or of the TSS it
// names, #NP when either is not present, #TS for a TSS limit too small. The monitor runs
// the instruction once more on the scratch processor (scratch_execution.h) with the
// guest's own GDTR and LDT and the guest's CPL, so that the processor model's own checks
// (engine/cpu/task_checks.h) read the guest's descriptors: the guest gets the fault the
// hardware gives, and when every check passes the run stops as it does natively (task
// switching is not modeled).
#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_checks.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

PrivilegedEmulator::Outcome PrivilegedEmulator::far_task_checks(const GuestInsn& insn) {
  const VirtualCpu& v = c_.vcpu;
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode() || insn.op_count == 0) {
    return {Verdict::kNotEmulated};
  }
  // The target selector: the immediate of ptr16:16/32, or the word after the offset of an
  // m16:16/32 operand.
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
  // The guest's descriptor tables, read the way the processor will read them: the GDT,
  // or the LDT its LDTR names. A table that reaches the hypervisor hole is left alone (the
  // scratch processor would read the monitor's tables there).
  auto below_hole = [](uint32_t base, uint32_t limit) {
    return uint64_t{base} + limit < hole::kBase;
  };
  if (!below_hole(v.gdtr.base, v.gdtr.limit)) return {Verdict::kNotEmulated};
  cpu::SegmentCache ldt{};
  if (!cpu::is_null_selector(v.ldtr)) {
    uint64_t raw = 0;
    if ((v.ldtr & 0xFFF8u) + 7u > v.gdtr.limit ||
        !c_.memory.read(v.gdtr.base + (v.ldtr & 0xFFF8u), &raw, 8, false)) {
      return {Verdict::kNotEmulated};
    }
    ldt = cpu::Descriptor{raw}.to_cache(v.ldtr);
    if (!below_hole(ldt.base, ldt.limit)) return {Verdict::kNotEmulated};
  }
  // Only a TSS or task gate: every other target is in the shadow tables as the guest has
  // it (compressed), and the real processor's fault was already the hardware's.
  {
    const bool local = sel & 4;
    const uint32_t table = local ? ldt.base : v.gdtr.base;
    const uint32_t limit = local ? (ldt.usable ? ldt.limit : 0) : v.gdtr.limit;
    if (cpu::is_null_selector(sel) || (local && !ldt.usable) || (sel & 0xFFF8u) + 7u > limit) {
      return {Verdict::kNotEmulated};
    }
    uint64_t raw = 0;
    if (!c_.memory.read(table + (sel & 0xFFF8u), &raw, 8, false)) return {Verdict::kNotEmulated};
    if (!cpu::is_task_target(cpu::Descriptor{raw})) return {Verdict::kNotEmulated};
  }
  if (!scratch_) make_scratch();
  const ScratchExecution::Effects r = scratch_->execute(
      [&](cpu::CpuState& st) {
        st.gdtr = v.gdtr;
        st.ldtr = ldt;
        st.ldtr.selector = v.ldtr;
        st.cpl = VirtualCpu::virtual_cpl(st.cpl);
      },
      false);
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  if (!r.unsupported.empty()) {
    // Every check passed: the task switch itself, which the model does not make (as
    // natively). Anything else the scratch run could not do leaves the original fault.
    if (r.unsupported.find("task switching") != std::string::npos)
      c_.cpu.unsupported(r.unsupported);
    return {Verdict::kNotEmulated};
  }
  if (r.retired || r.vector == 0) return {Verdict::kNotEmulated};
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

PrivilegedEmulator::Outcome PrivilegedEmulator::nested_task_return_checks() {
  // IRET with NT set: the scratch processor runs it with the guest's GDT and TR (the
  // link is read from the guest's TSS and names a descriptor of the guest's GDT), so that
  // the processor model's checks (cpu::check_nested_task_return) read the guest's tables.
  const VirtualCpu& v = c_.vcpu;
  if (!c_.shadow.has_hole() || c_.cpu.guest_mode()) return {Verdict::kNotEmulated};
  if (uint64_t{v.gdtr.base} + v.gdtr.limit >= hole::kBase ||
      uint64_t{v.tss_base} + 2 > hole::kBase) {
    return {Verdict::kNotEmulated};  // the scratch processor would read the monitor's
  }
  if (!scratch_) make_scratch();
  const ScratchExecution::Effects r = scratch_->execute(
      [&](cpu::CpuState& st) {
        st.gdtr = v.gdtr;
        st.tr.selector = v.tr;
        st.tr.base = v.tss_base;
        st.cpl = VirtualCpu::virtual_cpl(st.cpl);
      },
      false);
  if (r.guest_page_fault) return page_fault({r.fault_linear, r.error_code});
  if (r.retired || r.vector == 0) return {Verdict::kNotEmulated};  // (every check passed)
  return {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
}

}  // namespace vmlab::vmm
