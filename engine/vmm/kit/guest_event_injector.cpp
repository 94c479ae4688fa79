#include "engine/vmm/kit/guest_event_injector.h"

#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/vmm/kit/guest_stack.h"

namespace vmlab::vmm {

namespace {

enum class Class : uint8_t { kBenign, kContributory, kPageFault };

// SDM Vol. 3A, table 6-4.
Class classify(uint8_t vector, GuestEventInjector::Kind kind) {
  if (kind != GuestEventInjector::Kind::kException) return Class::kBenign;
  switch (vector) {
    case cpu::vec::DE:
    case cpu::vec::TS:
    case cpu::vec::NP:
    case cpu::vec::SS:
    case cpu::vec::GP: return Class::kContributory;
    case cpu::vec::PF: return Class::kPageFault;
    default: return Class::kBenign;
  }
}

}  // namespace

bool GuestEventInjector::can_take_interrupt() const {
  // User code's IF is the real one (under bt it can clear it, with IOPL 3).
  const cpu::CpuState& s = cpu_.state();
  return s.cpl == 3 ? (s.eflags & cpu::flags::IF) != 0 : vcpu_.interrupts_enabled;
}

void GuestEventInjector::inject_pending() {
  if (vcpu_.pending.empty() || !can_take_interrupt() || cpu_.is_shut_down()) return;
  const uint8_t vector = vcpu_.pending.front();
  vcpu_.pending.pop_front();
  deliver(vector, Kind::kExternal, false, 0);
}

void GuestEventInjector::deliver(uint8_t vector, Kind kind, bool has_error_code,
                                 uint32_t error_code) {
  for (int attempt = 0;; ++attempt) {
    uint8_t fv = 0;
    uint32_t fc = 0;
    if (try_deliver(vector, kind, has_error_code, error_code, fv, fc)) return;
    if (vector == cpu::vec::DF && kind == Kind::kException) {
      cpu_.shutdown(
          "triple fault in the guest: a fault while the monitor delivered a double "
          "fault through the guest's IDT (vector " +
          std::to_string(fv) + ")");
      return;
    }
    // Faults on the IDT, GDT and stack take the EXT bit when the event was not asked for
    // by the program (6.13); selector-format codes only.
    const bool ext = kind != Kind::kSoftware;
    if (ext &&
        (fv == cpu::vec::TS || fv == cpu::vec::NP || fv == cpu::vec::SS || fv == cpu::vec::GP)) {
      fc |= 1;
    }
    const Class first = classify(vector, kind);
    const Class second = classify(fv, Kind::kException);
    const bool dbl = (first == Class::kContributory && second == Class::kContributory) ||
                     (first == Class::kPageFault && second != Class::kBenign);
    if (dbl) {
      vector = cpu::vec::DF;
      error_code = 0;
    } else {
      vector = fv;
      error_code = fc;
    }
    has_error_code = true;
    kind = Kind::kException;
    if (attempt > 4) {
      cpu_.shutdown("the guest's IDT keeps faulting");
      return;
    }
  }
}

bool GuestEventInjector::try_deliver(uint8_t vector, Kind kind, bool has_error_code,
                                     uint32_t error_code, uint8_t& fv, uint32_t& fc) {
  cpu::CpuState& s = cpu_.state();
  const uint32_t ext = kind == Kind::kSoftware ? 0 : 1;
  const uint32_t idt_err = uint32_t{vector} * 8 + 2 + ext;
  auto fail = [&](uint8_t v, uint32_t code) {
    fv = v;
    fc = code;
    return false;
  };

  // 1. The gate, from the guest's IDT (supervisor reads of guest-linear memory).
  if (uint32_t{vector} * 8 + 7 > vcpu_.idtr.limit) return fail(cpu::vec::GP, idt_err);
  uint64_t raw = 0;
  GuestMemory::Fault pf;
  if (!memory_.read(vcpu_.idtr.base + uint32_t{vector} * 8, &raw, 8, false, &pf)) {
    vcpu_.cr2 = pf.linear;
    return fail(cpu::vec::PF, pf.error_code);
  }
  const cpu::Descriptor gate{raw};
  const uint8_t type = gate.type();
  if (gate.s() || (type != cpu::sys_type::kInterruptGate32 && type != cpu::sys_type::kTrapGate32 &&
                   type != cpu::sys_type::kTaskGate && type != cpu::sys_type::kInterruptGate16 &&
                   type != cpu::sys_type::kTrapGate16)) {
    return fail(cpu::vec::GP, idt_err);
  }
  // 2. INT n may use only gates with DPL >= the (virtual) CPL (6.12.1.1).
  const uint8_t vcpl = VirtualCpu::virtual_cpl(s.cpl);
  if (kind == Kind::kSoftware && gate.dpl() < vcpl) {
    return fail(cpu::vec::GP, uint32_t{vector} * 8 + 2);
  }
  if (!gate.present()) return fail(cpu::vec::NP, idt_err);
  if (type == cpu::sys_type::kTaskGate) {
    // The checks of the INT n pseudo-code ("TASK-GATE") on the TSS the gate names, in the
    // guest's GDT, come before the switch (issue 12, item 5):
    // in the GDT and a TSS that is not busy, else #GP; present, else #NP; a limit of at
    // least 67H (2BH for a 16-bit TSS), else #TS (SDM Vol. 3A, table 7-1).
    const uint16_t tss_sel = gate.gate_selector();
    const uint32_t tss_err = (tss_sel & 0xFFFCu) | ext;
    const uint32_t index = tss_sel & 0xFFF8u;
    if ((tss_sel & 4) || index + 7 > vcpu_.gdtr.limit) return fail(cpu::vec::GP, tss_err);
    uint64_t tss_raw = 0;
    if (!memory_.read(vcpu_.gdtr.base + index, &tss_raw, 8, false, &pf)) {
      vcpu_.cr2 = pf.linear;
      return fail(cpu::vec::PF, pf.error_code);
    }
    const cpu::Descriptor tss{tss_raw};
    const bool tss32 = tss.type() == cpu::sys_type::kTss32Available;
    if (tss.s() || (!tss32 && tss.type() != cpu::sys_type::kTss16Available)) {
      return fail(cpu::vec::GP, tss_err);
    }
    if (!tss.present()) return fail(cpu::vec::NP, tss_err);
    if (tss.limit() < (tss32 ? 0x67u : 0x2Bu)) return fail(cpu::vec::TS, tss_err);
  }
  if (type == cpu::sys_type::kTaskGate) {
    if (!task_gate_switch_) {
      cpu_.unsupported("the guest's IDT vector " + std::to_string(vector) +
                       " is a task gate, which the monitor does not reflect");
    }
    // The switch to the gate's TSS delivers the event: the old task saves the interrupted
    // (or next) EIP, the new task starts with the error code on its stack (INT n
    // pseudo-code, "TASK-GATE").
    if (!task_gate_switch_(gate.gate_selector(), has_error_code, error_code, fv, fc)) return false;
    recorder_.record(EventKind::virq_inject,
                     {vector, has_error_code ? error_code : 0, has_error_code ? 1u : 0u, 0});
    return true;
  }
  // A 16-bit interrupt or trap gate (types 6 and 7) pushes a frame of words (IP, CS, FLAGS,
  // the error code; SP and SS first on a privilege change) and enters at the gate's offset
  // cut to 16 bits (SDM Vol. 3A, 6.12.1; interrupts.cpp's deliver_through_idt).
  const bool gate32 = type == cpu::sys_type::kInterruptGate32 || type == cpu::sys_type::kTrapGate32;
  const unsigned width = gate32 ? 4 : 2;

  // 3. The handler's code segment, as the shadow GDT has it (compressed).
  const uint16_t cs_sel = VirtualCpu::real_selector(gate.gate_selector());
  const uint32_t cs_err = (gate.gate_selector() & 0xFFFCu) | ext;
  if (cpu::is_null_selector(cs_sel)) return fail(cpu::vec::GP, ext);
  const cpu::Descriptor cs{segments_.descriptor(cs_sel)};
  if (!cs.is_code() || cs.dpl() > s.cpl) return fail(cpu::vec::GP, cs_err);
  if (!cs.present()) return fail(cpu::vec::NP, cs_err);
  const uint8_t new_cpl = cs.conforming() ? s.cpl : cs.dpl();
  const uint32_t offset = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFFu;
  if (offset > cs.limit()) {
    // Against the guest's own limit: a handler beyond the cut (in the hypervisor hole, or
    // the gap below it) is entered with the CS cache cut, and the monitor executes what
    // lies there (emulate_far_transfer.cpp, as for a far transfer there).
    const auto own = segments_.guest_code_beyond_cut(cs_sel, cs.base(), cs.limit());
    if (!own || offset > own->limit()) return fail(cpu::vec::GP, ext);
    recorder_.record(EventKind::hole_access, {cs.base() + offset, 0, 0, 0});
  }

  // 4. The frame: what the processor pushes, in the guest's terms.
  uint32_t eflags_image = s.eflags & ~(cpu::flags::RF | cpu::flags::VM);
  // The guest's IOPL, not the monitor's 0: the kernel's IRET back restores it.
  eflags_image =
      (eflags_image & ~cpu::flags::IOPL) | (uint32_t{vcpu_.iopl} << cpu::flags::IOPL_SHIFT);
  if (s.cpl != 3) {
    eflags_image =
        (eflags_image & ~cpu::flags::IF) | (vcpu_.interrupts_enabled ? cpu::flags::IF : 0);
  }
  const uint32_t cs_image = VirtualCpu::guest_selector(s.seg[cpu::CS].selector);
  cpu::SegmentCache new_ss = s.seg[cpu::SS];
  uint32_t esp = s.gpr[cpu::ESP];
  uint32_t ss_err = 0;  // a push outside the stack: #SS(0), or #SS(SS0) on the TSS's
  uint32_t frame[6];
  unsigned n = 0;
  if (new_cpl < s.cpl) {
    // From ring 3: the guest kernel's stack from the guest TSS (6.12.1, figure 6-4).
    if (vcpu_.tr == 0) {
      cpu_.unsupported("an event from ring 3 before the guest loaded a task register (LTR)");
    }
    const auto esp0 = memory_.read32(vcpu_.tss_base + 4);
    const auto ss0 = memory_.read16(vcpu_.tss_base + 8);
    if (!esp0 || !ss0) return fail(cpu::vec::TS, (vcpu_.tr & 0xFFFCu) | ext);
    const uint16_t ss_sel = VirtualCpu::real_selector(*ss0);
    const cpu::Descriptor ssd{segments_.descriptor(ss_sel)};
    if (cpu::is_null_selector(ss_sel) || !ssd.writable() || ssd.dpl() != new_cpl ||
        (ss_sel & 3) != new_cpl) {
      return fail(cpu::vec::TS, (*ss0 & 0xFFFCu) | ext);
    }
    if (!ssd.present()) return fail(cpu::vec::SS, (*ss0 & 0xFFFCu) | ext);
    segments_.sync_tss(*ss0, *esp0);
    new_ss = ssd.to_cache(ss_sel);
    esp = *esp0;
    ss_err = *ss0 & 0xFFFCu;
    frame[n++] = s.seg[cpu::SS].selector;
    frame[n++] = s.gpr[cpu::ESP];
  }
  frame[n++] = eflags_image;
  frame[n++] = cs_image;
  frame[n++] = s.eip;
  if (has_error_code) frame[n++] = error_code;
  // The frame's bytes, lowest address first: dwords, or words (a 16-bit gate).
  uint8_t image[6 * 4];
  for (unsigned i = 0; i < n; ++i) {
    for (unsigned b = 0; b < width; ++b) {
      image[i * width + b] = static_cast<uint8_t>(frame[n - 1 - i] >> (8 * b));
    }
  }
  // On a 16-bit stack (SS.B = 0) the pushes address [SS:SP] and move SP alone, the upper
  // half of ESP kept (SDM Vol. 3A, 6.12.1; Vol. 2, PUSH: "StackAddrSize = 16").
  const uint32_t new_esp = new_ss.stack_moved(esp, -static_cast<int32_t>(n * width));
  const uint32_t top = new_ss.stack_top(new_esp);
  // Every push within the guest's own stack segment, before anything is written (INT n
  // pseudo-code: "IF new stack does not have room ... THEN #SS"; Cpu::push_frame), not
  // the cut one's: a frame in the hole is the guest's, one past its small limit is not.
  if (!stack_slots_fit(guest_segment_view(segments_, new_ss), top, n, width)) {
    return fail(cpu::vec::SS, ss_err);
  }
  // A frame that wraps at 64 KiB is written push by push.
  const bool wraps = !new_ss.db && top + n * width > 0x10000u;
  for (unsigned i = 0; i < (wraps ? n : 1); ++i) {
    const uint32_t at = wraps ? (top + width * i) & 0xFFFFu : top;
    if (!memory_.write(new_ss.base + at, image + (wraps ? i * width : 0), wraps ? width : n * width,
                       false, &pf)) {
      vcpu_.cr2 = pf.linear;
      return fail(cpu::vec::PF, pf.error_code);
    }
  }

  // The accessed bits of the handler's CS and of a new SS, set in the guest's table by the
  // processor after the pushes (SDM Vol. 3A, 3.4.5.1; interrupts.cpp's order).
  for (const uint16_t loaded :
       {cs_sel, static_cast<uint16_t>(new_cpl < s.cpl ? new_ss.selector : 0)}) {
    const auto mark = segments_.mark_accessed(loaded);
    if (mark.kind == DeprivilegedSegments::AccessedMark::Kind::kGuestFault) {
      vcpu_.cr2 = mark.cr2;
      return fail(cpu::vec::PF, mark.error_code);
    }
  }

  // 5. Enter the handler in ring 1. From user mode the real IF is the guest's (user code
  // runs with it, and its CLI and STI under IOPL 3 move it): a trap gate keeps it for the
  // kernel, whose virtual IF it becomes (random guest --rich seed 30011: user code entered
  // by an IRET with IF set took #GP through a trap gate, and the kernel ran with the
  // virtual IF it had left with, clear).
  if (s.cpl == 3) vcpu_.interrupts_enabled = (s.eflags & cpu::flags::IF) != 0;
  s.seg[cpu::SS] = new_ss;
  s.gpr[cpu::ESP] = new_esp;
  s.seg[cpu::CS] = cs.to_cache(static_cast<uint16_t>((cs_sel & 0xFFFCu) | new_cpl));
  s.cpl = new_cpl;
  s.eip = offset;
  cpu_.set_eflags(s.eflags & ~(cpu::flags::TF | cpu::flags::NT | cpu::flags::RF | cpu::flags::VM));
  if (type == cpu::sys_type::kInterruptGate32 || type == cpu::sys_type::kInterruptGate16) {
    vcpu_.interrupts_enabled = false;
  }
  s.halted = false;
  s.interrupt_shadow = false;
  recorder_.record(EventKind::virq_inject,
                   {vector, has_error_code ? error_code : 0, has_error_code ? 1u : 0u, 0});
  return true;
}

void GuestEventInjector::deliver_or_queue_external(uint8_t vector) {
  if (can_take_interrupt()) {
    deliver(vector, Kind::kExternal, false, 0);
  } else {
    vcpu_.pending.push_back(vector);
  }
}

}  // namespace vmlab::vmm
