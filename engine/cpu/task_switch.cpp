// Hardware task switching between 32-bit TSSes (task_switch.h).
//
// SDM Vol. 3A 7.3, the steps in their order: the checks (task_checks.cpp) and the new
// task's TSS read whole, with the old TSS probed for writing, all in the old task's context;
// the busy flag of the old task cleared (JMP, IRET) and NT of its saved EFLAGS (IRET); the
// old task's state saved in its TSS. That is the commit point ("now if an exception occurs,
// it will occur in the context of the new task", table 7-1): the link and NT (CALL, task
// gate), the new task's busy flag (JMP, CALL, task gate), CR0.TS, TR, CR3 (paging only),
// EIP, EFLAGS and the general registers, then the LDTR and the segment registers with the
// checks of table 7-1, whose faults the new task takes. QEMU (target/i386, its task switch)
// makes the same steps in the same order, which the test kernel tests/kernels/task_switch
// compares byte for byte.
#include "engine/cpu/task_switch.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"

namespace vmlab::cpu {

namespace {

bool is_tss32(uint8_t type) {
  return type == sys_type::kTss32Available || type == sys_type::kTss32Busy;
}

constexpr uint8_t kBusyBit = 0x2;  // type bit 1 of a TSS descriptor (SDM Vol. 3A, 7.2.2)

// The new task's state as its TSS holds it.
struct NewTask {
  uint32_t cr3 = 0, eip = 0, eflags = 0;
  uint32_t gpr[8] = {};
  uint16_t seg[kNumSegRegs] = {};
  uint16_t ldt = 0;
};

}  // namespace

void Cpu::switch_task(const TaskTarget& target, TaskSource source, bool has_error_code,
                      uint32_t error_code) {
  const uint16_t new_sel = target.selector;
  const Descriptor& nd = target.desc;
  task_committed_ = false;
  task_cr3_.reset();
  if (task_switching_ == TaskSwitching::kStopAfterChecks) {
    unsupported(
        "a task switch that passed its checks: hardware task switching is not "
        "implemented under this monitor");
  }
  if (guest_mode_ && task_switching_ == TaskSwitching::kPerform) [[unlikely]] {
    // A task switch in guest mode always exits (SDM Vol. 3C 25.4.2), with the new TSS's
    // selector and the source (table 27-2) and, for a JMP, CALL or IRET, the instruction's
    // length; an event through a task gate is the exit's IDT-vectoring information
    // (deliver_event). The monitor performs the switch (kMonitorPerforms, kMonitorKeepsCr3).
    vm_exit(vmx::ExitReason::kTaskSwitch, task_switch_qualification(new_sel, source),
            source == TaskSource::kIdtGate ? 0 : static_cast<uint8_t>(s_.eip - insn_eip_));
  }
  if (!is_tss32(nd.type()) || !is_tss32(s_.tr.type)) {
    unsupported("task switch with a 16-bit TSS (selector " + std::to_string(new_sel & 0xFFFC) +
                "): 16-bit task switching is not implemented by this processor model");
  }
  // 1. The new task's state, read whole before anything changes: a page fault here is the
  // old task's, with nothing written.
  const uint32_t nb = nd.base();
  NewTask n;
  n.cr3 = lin_read32(nb + tss32::kCr3, true);
  n.eip = lin_read32(nb + tss32::kEip, true);
  n.eflags = lin_read32(nb + tss32::kEflags, true);
  for (unsigned i = 0; i < 8; ++i) n.gpr[i] = lin_read32(nb + tss32::kGpr + 4 * i, true);
  for (unsigned i = 0; i < kNumSegRegs; ++i) {
    n.seg[i] = lin_read16(nb + tss32::kSeg + 4 * i, true);
  }
  n.ldt = lin_read16(nb + tss32::kLdt, true);
  if (n.eflags & flags::VM) {
    unsupported("task switch to a virtual-8086 task (EFLAGS.VM set in the TSS at selector " +
                std::to_string(new_sel & 0xFFFC) + "): V86 mode is not implemented");
  }
  // 2. The old TSS must be writable where the state goes (step 4 of 7.3: every page the
  // switch touches is checked before the commit point): its first and last byte, read and
  // written back, so that a page fault on it is the old task's.
  const uint32_t ob = s_.tr.base;
  for (uint32_t at : {ob, ob + tss32::kMinLimit}) lin_write8(at, lin_read8(at, true), true);

  // 3. JMP and IRET leave the old task: its busy flag is cleared. CALL and a task gate nest
  // the new task in it: it stays busy.
  const uint32_t old_desc = s_.gdtr.base + (s_.tr.selector & 0xFFF8u);
  if (source == TaskSource::kJmp || source == TaskSource::kIret) {
    lin_write8(old_desc + 5, static_cast<uint8_t>(lin_read8(old_desc + 5, true) & ~kBusyBit), true);
  }
  // 4. The old task's state: EIP after the instruction (or of the faulting instruction, as
  // the fault left it), EFLAGS (NT cleared by IRET), the registers and the selectors.
  uint32_t old_eflags = s_.eflags;
  if (source == TaskSource::kIret) old_eflags &= ~flags::NT;
  lin_write32(ob + tss32::kEip, s_.eip, true);
  lin_write32(ob + tss32::kEflags, old_eflags, true);
  for (unsigned i = 0; i < 8; ++i) lin_write32(ob + tss32::kGpr + 4 * i, s_.gpr[i], true);
  for (unsigned i = 0; i < kNumSegRegs; ++i) {
    lin_write16(ob + tss32::kSeg + 4 * i, s_.seg[i].selector, true);
  }

  // The commit point: a fault from here on is the new task's, at its EIP.
  task_committed_ = true;
  try {
    const uint16_t old_sel = s_.tr.selector;
    uint32_t new_eflags = n.eflags;
    if (source == TaskSource::kCall || source == TaskSource::kIdtGate) {
      lin_write16(nb + tss32::kLink, old_sel, true);
      new_eflags |= flags::NT;
    }
    uint64_t raw = nd.raw;
    if (source != TaskSource::kIret) {
      const uint32_t at = s_.gdtr.base + (new_sel & 0xFFF8u) + 5;
      lin_write8(at, static_cast<uint8_t>(lin_read8(at, true) | kBusyBit), true);
    }
    raw |= uint64_t{kBusyBit} << 40;
    s_.cr0 |= cr0::TS;
    s_.tr = Descriptor{raw}.to_cache(new_sel);
    if (task_switching_ == TaskSwitching::kMonitorKeepsCr3) {
      task_cr3_ = n.cr3;
    } else if (s_.paging()) {
      write_cr3(n.cr3);
    }
    // The registers, without a fault; the segment registers hold the selectors alone until
    // each is loaded and checked below.
    s_.eip = n.eip;
    insn_eip_ = n.eip;
    set_eflags(new_eflags);
    for (unsigned i = 0; i < 8; ++i) s_.gpr[i] = n.gpr[i];
    for (unsigned i = 0; i < kNumSegRegs; ++i) s_.seg[i] = null_segment(n.seg[i]);
    s_.ldtr = null_segment(n.ldt & 0xFFFBu);
    s_.ldtr.s = false;
    // The local breakpoint enables L0-L3 and LE are cleared on every task switch (SDM Vol.
    // 3B, 17.2.4).
    dr_[7] &= ~0x155u;
    s_.halted = false;
    s_.cpl = n.seg[CS] & 3;
    // 5. The LDT (table 7-1: #TS(LDT selector) for a selector with TI set, outside the
    // GDT, not an LDT or not present).
    if (!is_null_selector(n.ldt)) {
      const uint32_t err = selector_error(n.ldt);
      Descriptor d;
      if ((n.ldt & 4) || !fetch_descriptor(n.ldt, d.raw)) fault(vec::TS, err);
      if (d.s() || d.type() != sys_type::kLdt || !d.present()) fault(vec::TS, err);
      s_.ldtr = d.to_cache(n.ldt);
    } else if (n.ldt & 4) {
      fault(vec::TS, selector_error(n.ldt));
    }
    // 6. CS, SS, then the data segments, each with its checks of table 7-1.
    for (uint8_t r : {CS, SS, ES, DS, FS, GS}) load_task_segment(r, n.seg[r]);
    if (s_.eip > s_.seg[CS].limit) fault_gp(0);
    // 7. An event through a task gate pushes its error code on the new task's stack, a
    // dword for a 32-bit TSS (INT n pseudo-code, "TASK-GATE").
    if (has_error_code) {
      s_.gpr[ESP] = push_frame(s_.seg[SS], s_.gpr[ESP], &error_code, 1, 4, s_.cpl != 3, 0);
    }
  } catch (CpuFault&) {
    insn_eip_ = s_.eip;
    throw;
  }
}

void Cpu::load_task_segment(uint8_t sreg, uint16_t selector) {
  const uint32_t err = selector_error(selector);
  if (is_null_selector(selector)) {
    // CS and SS can never be null (table 7-1: "Code segment selector is valid", "Stack
    // segment selector is valid"); a null data segment is loaded.
    if (sreg == CS || sreg == SS) fault(vec::TS, err);
    s_.seg[sreg] = null_segment(selector);
    return;
  }
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(selector, d.raw, &addr) || !d.s()) fault(vec::TS, err);
  const uint8_t rpl = selector & 3;
  const uint8_t cpl = s_.cpl;
  if (sreg == CS) {
    // Code, with DPL = RPL (non-conforming) or DPL <= RPL (conforming); else #TS. Not
    // present: #NP.
    if (!d.is_code() || (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl)) fault(vec::TS, err);
    if (!d.present()) fault(vec::NP, err);
  } else if (sreg == SS) {
    // Writable data at DPL = CPL = RPL; not present: #SS.
    if (!d.writable() || d.dpl() != cpl || d.dpl() != rpl) fault(vec::TS, err);
    if (!d.present()) fault(vec::SS, err);
  } else {
    // Data or readable code; DPL >= CPL and >= RPL unless conforming code; not present: #NP.
    if (!d.readable()) fault(vec::TS, err);
    if (!d.conforming() && (d.dpl() < cpl || d.dpl() < rpl)) fault(vec::TS, err);
    if (!d.present()) fault(vec::NP, err);
  }
  set_descriptor_accessed(addr, d.raw);
  s_.seg[sreg] = d.to_cache(selector);
}

}  // namespace vmlab::cpu
