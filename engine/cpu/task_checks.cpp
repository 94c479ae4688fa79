#include "engine/cpu/task_checks.h"

namespace vmlab::cpu {

namespace {

bool is_tss(const Descriptor& d) {
  return !d.s() &&
         (d.type() == sys_type::kTss16Available || d.type() == sys_type::kTss32Available ||
          d.type() == sys_type::kTss16Busy || d.type() == sys_type::kTss32Busy);
}

bool is_busy(const Descriptor& d) {
  return d.type() == sys_type::kTss16Busy || d.type() == sys_type::kTss32Busy;
}

// The smallest limit a TSS may have: 67H for a 32-bit TSS, 2BH for a 16-bit one (SDM Vol.
// 3A, 7.2.2 and table 7-1, "TSS segment limit greater than or equal to 108 (for 32-bit
// TSS) or 44 (for 16-bit TSS)"). A smaller limit is #TS(new TSS selector).
void check_tss_limit(Cpu& cpu, const Descriptor& d, uint32_t err) {
  const bool tss32 = d.type() == sys_type::kTss32Available || d.type() == sys_type::kTss32Busy;
  if (d.limit() < (tss32 ? 0x67u : 0x2Bu)) cpu.fault(vec::TS, err);
}

// A TSS named by a task gate or by the previous-task link: it must be in the GDT (a
// selector with TI set is refused, 7.2.2) and within its limit. `vector` is the exception
// of a bad selector: #GP for JMP, CALL and INT n, #TS for IRET.
Descriptor read_linked_tss(Cpu& cpu, uint16_t tss_sel, uint8_t vector, uint32_t err) {
  Descriptor t;
  if ((tss_sel & 4) || !cpu.fetch_descriptor(tss_sel, t.raw)) cpu.fault(vector, err);
  if (!is_tss(t)) cpu.fault(vector, err);
  return t;
}

}  // namespace

bool is_task_target(const Descriptor& d) {
  return is_tss(d) || (!d.s() && d.type() == sys_type::kTaskGate);
}

TaskTarget check_far_task_target(Cpu& cpu, uint16_t selector, const Descriptor& d) {
  const uint32_t err = selector_error(selector);
  const uint8_t cpl = cpu.state().cpl;
  const uint8_t rpl = selector & 3;
  if (d.type() != sys_type::kTaskGate) {
    // "TASK-STATE-SEGMENT": DPL >= CPL and >= RPL, and an available TSS, else
    // #GP(TSS selector); then present, else #NP(TSS selector). A TSS descriptor is only
    // valid in the GDT: a selector with TI set is #GP (7.2.2).
    if ((selector & 4) || d.dpl() < cpl || d.dpl() < rpl || is_busy(d)) cpu.fault_gp(err);
    if (!d.present()) cpu.fault(vec::NP, err);
    check_tss_limit(cpu, d, err);
    return {selector, d};
  }
  // "TASK-GATE": the gate's DPL >= CPL and >= RPL, else #GP(gate selector); present, else
  // #NP(gate selector). Then the TSS it names: in the GDT, a TSS and not busy, else
  // #GP(TSS selector); present, else #NP(TSS selector).
  if (d.dpl() < cpl || d.dpl() < rpl) cpu.fault_gp(err);
  if (!d.present()) cpu.fault(vec::NP, err);
  return check_idt_task_gate(cpu, d, 0);
}

TaskTarget check_idt_task_gate(Cpu& cpu, const Descriptor& gate, uint32_t ext) {
  // INT n pseudo-code, "TASK-GATE": every error code carries the EXT bit of the event.
  const uint16_t tss_sel = gate.gate_selector();
  const uint32_t err = selector_error(tss_sel) | ext;
  const Descriptor t = read_linked_tss(cpu, tss_sel, vec::GP, err);
  if (is_busy(t)) cpu.fault_gp(err);
  if (!t.present()) cpu.fault(vec::NP, err);
  check_tss_limit(cpu, t, err);
  return {tss_sel, t};
}

TaskTarget check_nested_task_return(Cpu& cpu) {
  // IRET pseudo-code, "TASK-RETURN": the link field is the first word of the current TSS;
  // the task returned to must be busy (it is the one that called or was interrupted).
  const SegmentCache& tr = cpu.state().tr;
  const auto link = static_cast<uint16_t>(cpu.lin_read16(tr.base, true));
  const uint32_t err = selector_error(link);
  const Descriptor t = read_linked_tss(cpu, link, vec::TS, err);
  if (!is_busy(t)) cpu.fault(vec::TS, err);
  if (!t.present()) cpu.fault(vec::NP, err);
  check_tss_limit(cpu, t, err);
  return {link, t};
}

}  // namespace vmlab::cpu
