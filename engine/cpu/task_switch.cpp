// Hardware task switching between 32-bit and 16-bit TSSes (task_switch.h).
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

// Where a TSS keeps the state a switch saves and loads: the 32-bit TSS (figure 7-2) or the
// 16-bit TSS of the 80286 (figure 7-10: IP, FLAGS, the eight word registers, ES CS SS DS,
// the LDT selector; no CR3, FS or GS).
struct TssLayout {
  uint32_t eip, eflags, gpr, seg, ldt, min_limit;
  unsigned width;  // of each field: 4 or 2
  unsigned segs;   // segment selectors held: ES CS SS DS (FS GS)
};
constexpr TssLayout kTss32Layout{tss32::kEip, tss32::kEflags,   tss32::kGpr, tss32::kSeg,
                                 tss32::kLdt, tss32::kMinLimit, 4,           kNumSegRegs};
constexpr TssLayout kTss16Layout{tss16::kIp,  tss16::kFlags,    tss16::kGpr, tss16::kSeg,
                                 tss16::kLdt, tss16::kMinLimit, 2,           4};

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
  const bool new32 = is_tss32(nd.type());
  const TssLayout& nl = new32 ? kTss32Layout : kTss16Layout;
  const TssLayout& ol = is_tss32(s_.tr.type) ? kTss32Layout : kTss16Layout;
  auto read_field = [&](uint32_t at, unsigned width) {
    return width == 4 ? lin_read32(at, true) : lin_read16(at, true);
  };
  auto write_field = [&](uint32_t at, unsigned width, uint32_t value) {
    if (width == 4) {
      lin_write32(at, value, true);
    } else {
      lin_write16(at, static_cast<uint16_t>(value), true);
    }
  };
  // 1. The new task's state, read whole before anything changes: a page fault here is the
  // old task's, with nothing written. From a 16-bit TSS (SDM Vol. 3A 7.6): no CR3 (the
  // old task's page tables stay); IP, FLAGS and the word registers zero-extended (the SDM
  // leaves the upper halves of the registers "modified and not maintained"; QEMU's
  // target/i386 task switch loads the words zero-extended), the upper half of EFLAGS kept;
  // FS and GS null, as QEMU loads them (TaskSwitchTest.ACallToA16BitTaskAndItsIretBack).
  const uint32_t nb = nd.base();
  NewTask n;
  if (new32) n.cr3 = lin_read32(nb + tss32::kCr3, true);
  n.eip = read_field(nb + nl.eip, nl.width);
  n.eflags = read_field(nb + nl.eflags, nl.width);
  if (!new32) n.eflags |= s_.eflags & 0xFFFF0000u;
  for (unsigned i = 0; i < 8; ++i) n.gpr[i] = read_field(nb + nl.gpr + nl.width * i, nl.width);
  for (unsigned i = 0; i < nl.segs; ++i) {
    n.seg[i] = lin_read16(nb + nl.seg + nl.width * i, true);
  }
  n.ldt = lin_read16(nb + nl.ldt, true);
  if (n.eflags & flags::VM) {
    unsupported("task switch to a virtual-8086 task (EFLAGS.VM set in the TSS at selector " +
                std::to_string(new_sel & 0xFFFC) + "): V86 mode is not implemented");
  }
  // 2. The old TSS must be writable where the state goes (step 4 of 7.3: every page the
  // switch touches is checked before the commit point): its first and last byte, read and
  // written back, so that a page fault on it is the old task's.
  const uint32_t ob = s_.tr.base;
  for (uint32_t at : {ob, ob + ol.min_limit}) lin_write8(at, lin_read8(at, true), true);

  // 3. JMP and IRET leave the old task: its busy flag is cleared. CALL and a task gate nest
  // the new task in it: it stays busy.
  const uint32_t old_desc = s_.gdtr.base + (s_.tr.selector & 0xFFF8u);
  if (source == TaskSource::kJmp || source == TaskSource::kIret) {
    lin_write8(old_desc + 5, static_cast<uint8_t>(lin_read8(old_desc + 5, true) & ~kBusyBit), true);
  }
  // 4. The old task's state: EIP after the instruction (or of the faulting instruction, as
  // the fault left it), EFLAGS (NT cleared by IRET), the registers and the selectors; into
  // a 16-bit TSS their low words ("the upper 16 bits of the EFLAGS register and the EIP
  // register are lost", 7.6).
  uint32_t old_eflags = s_.eflags;
  if (source == TaskSource::kIret) old_eflags &= ~flags::NT;
  write_field(ob + ol.eip, ol.width, s_.eip);
  write_field(ob + ol.eflags, ol.width, old_eflags);
  for (unsigned i = 0; i < 8; ++i) write_field(ob + ol.gpr + ol.width * i, ol.width, s_.gpr[i]);
  for (unsigned i = 0; i < ol.segs; ++i) {
    lin_write16(ob + ol.seg + ol.width * i, s_.seg[i].selector, true);
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
    if (!new32) {
      // A 16-bit TSS has no CR3: the old task's page tables stay (7.6).
    } else if (task_switching_ == TaskSwitching::kMonitorKeepsCr3) {
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
    // dword for a 32-bit TSS, a word for a 16-bit one (INT n pseudo-code, "TASK-GATE").
    if (has_error_code) {
      s_.gpr[ESP] =
          push_frame(s_.seg[SS], s_.gpr[ESP], &error_code, 1, new32 ? 4 : 2, s_.cpl != 3, 0);
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
