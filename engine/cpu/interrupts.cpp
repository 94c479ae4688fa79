// Interrupt and exception delivery through the IDT, the stack switch through the TSS,
// and the double-fault / triple-fault escalation.
//
// SDM Vol. 3A: 6.10-6.12 (IDT, gate descriptors, delivery to a procedure, the stack
// switch), 6.12.1.1 (gate DPL check for software interrupts), 6.13 (error codes and the
// EXT bit), 6.15 "Interrupt 8" with table 6-5 (which pairs of exceptions make a double
// fault) and "Interrupt 8 ... shutdown". Vol. 2, INT n pseudo-code: the order of checks.
//
// A task gate in the IDT switches tasks (task_checks.h, then Cpu::switch_task in
// task_switch.cpp), the error code going on the new task's stack.
#include <cstdio>
#include <string>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_checks.h"

namespace vmlab::cpu {

namespace {

enum class ExceptionClass : uint8_t { kBenign, kContributory, kPageFault };

// SDM Vol. 3A table 6-4: #DE, #TS, #NP, #SS and #GP are contributory; #PF is its own
// class; everything else (and every external or software interrupt) is benign.
ExceptionClass classify(uint8_t vector) {
  switch (vector) {
    case vec::DE:
    case vec::TS:
    case vec::NP:
    case vec::SS:
    case vec::GP: return ExceptionClass::kContributory;
    case vec::PF: return ExceptionClass::kPageFault;
    default: return ExceptionClass::kBenign;
  }
}

bool is_software(EventSource s) {
  return s == EventSource::kSoftware || s == EventSource::kInt3 || s == EventSource::kInto;
}

// Error codes in selector format, which take the EXT bit.
bool selector_format(uint8_t vector) {
  return vector == vec::TS || vector == vec::NP || vector == vec::SS || vector == vec::GP;
}

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, v);
  return buf;
}

std::string describe(uint8_t vector, EventSource source, bool has_err, uint32_t err) {
  static const char* const kNames[] = {"#DE", "#DB",  "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                       "#DF", "vec9", "#TS", "#NP", "#SS", "#GP", "#PF"};
  std::string s;
  if (source == EventSource::kNmi) {
    s = "NMI";
  } else if (source == EventSource::kExternal) {
    s = "interrupt " + std::to_string(vector);
  } else if (is_software(source)) {
    s = "INT " + hex(vector, 2) + "h";
  } else {
    s = vector < 15 ? kNames[vector] : "vector " + std::to_string(vector);
  }
  if (has_err) s += "(" + hex(err, 4) + ")";
  return s;
}

}  // namespace

vmx::Interruption interruption_info(uint8_t vector, EventSource source, bool has_error_code,
                                    uint32_t error_code) {
  using vmx::InterruptionType;
  InterruptionType type = InterruptionType::kHardwareException;
  switch (source) {
    case EventSource::kExternal: type = InterruptionType::kExternal; break;
    case EventSource::kNmi: type = InterruptionType::kNmi; break;
    case EventSource::kSoftware: type = InterruptionType::kSoftwareInterrupt; break;
    case EventSource::kInt3:
    case EventSource::kInto: type = InterruptionType::kSoftwareException; break;
    case EventSource::kException:
      // INT1 (ICEBP) is delivered as #DB from an instruction: a privileged software
      // exception. The processor's own #DB traps are not modeled.
      type = vector == vec::DB ? InterruptionType::kPrivilegedSoftwareException
                               : InterruptionType::kHardwareException;
      break;
  }
  return {true, vector, type, has_error_code, error_code};
}

void Cpu::deliver_interrupt(uint8_t vector, EventSource source, bool has_error_code,
                            uint32_t error_code) {
  deliver_event(vector, source, has_error_code, error_code, false);
}

void Cpu::deliver_event(uint8_t vector, EventSource source, bool has_error_code,
                        uint32_t error_code, bool injected) {
  std::string chain;
  // In guest mode: the event whose delivery raised the current one (IDT-vectoring
  // information of a VM exit), and whether the exception bitmap may intercept it (an
  // injected event is delivered whatever the bitmap says, SDM Vol. 3C 26.6).
  vmx::Interruption vectoring;
  bool intercept = !injected;
  // An exception or external interrupt is a unit of the instruction budget and an event
  // of the no-progress guard (cpu.cpp); INT n, INT3 and INTO are counted as the
  // instructions they are.
  if (!is_software(source)) {
    ++units_;
    no_progress_event("exceptions, interrupts and monitor entries", "vector", vector);
  } else if (monitor_ && s_.cpl != 3 && monitor_->is_monitor_call(vector)) {
    // A binary translator's callout is the monitor's own instruction, not guest progress:
    // its INT retiring does not reset the guard (a storm under bt is a chain of callouts
    // that each reflect a fault into the guest's handler, which faults again).
    no_progress_event("exceptions, interrupts and monitor entries", "vector", vector);
    progress_icount_ = icount_ + 1;
  }
  for (;;) {
    // Real-address mode pushes no error code, for any vector (SDM Vol. 1, 20.1.4).
    if (!s_.protected_mode()) [[unlikely]] {
      has_error_code = false;
      error_code = 0;
    }
    if (guest_mode_ && intercept) [[unlikely]] {
      exit_if_intercepted(vector, source, has_error_code, error_code, vectoring);
    }
    intercept = true;
    try {
      // A monitor's own call (monitor.h, is_monitor_call) is not a guest event.
      const bool monitor_call = source == EventSource::kSoftware && monitor_ && s_.cpl != 3 &&
                                monitor_->is_monitor_call(vector);
      if (observer_ && !monitor_call) {
        observer_->on_interrupt(vector, source, has_error_code, error_code, s_.eip, s_.cpl);
      }
      // Journey stop 23: the PV guest's INT 0x82 reaches its monitor here (docs/journey.md).
      // With a monitor attached, the real IDT is the monitor's: it sees the event first.
      // ... except a software interrupt it delegated to the real IDT (monitor.h).
      const bool delegated = source == EventSource::kSoftware && monitor_ &&
                             monitor_->delegates_software_vector(vector);
      if (monitor_ && !delegated &&
          monitor_->on_interrupt(vector, source, has_error_code, error_code)) {
        return;
      }
      deliver_through_idt(vector, source, has_error_code, error_code);
      return;
    } catch (VmExitSignal& x) {
      // A VM exit (a #PF exit, a nested-paging fault) while delivering this event: the
      // exit reports the event, and the monitor delivers it again when it resumes.
      if (!x.exit.idt_vectoring.valid) {
        x.exit.idt_vectoring = interruption_info(vector, source, has_error_code, error_code);
        // The exit also reports the length of the instruction whose event it interrupted
        // when that event is a software interrupt, a software exception or a privileged
        // software exception (SDM Vol. 3C, 27.2.5, "VM-exit instruction length"): the
        // monitor injects it again with that length, so that it returns past the
        // instruction, which must not run twice. EIP is already past it (insn_eip_ is its
        // first byte); for an event injected on entry, by the injected length.
        using vmx::InterruptionType;
        const InterruptionType type = x.exit.idt_vectoring.type;
        if (type == InterruptionType::kSoftwareInterrupt ||
            type == InterruptionType::kSoftwareException ||
            type == InterruptionType::kPrivilegedSoftwareException) {
          x.exit.instruction_length = static_cast<uint8_t>(s_.eip - insn_eip_);
        }
      }
      throw;
    } catch (const CpuFault& f) {
      // INT n, INT3 and INTO are instructions: a fault in their delivery is a fault of the
      // instruction, which the run loop restarts and delivers (the first event, a software
      // interrupt, is benign, so the fault is simply delivered: table 6-5).
      if (is_software(source)) throw;
      chain += describe(vector, source, has_error_code, error_code) + " -> ";
      if (vector == vec::DF && source == EventSource::kException) {
        // A fault while delivering a double fault: the processor shuts down (Vol. 3A,
        // 6.15 "Interrupt 8"). A PC would reset; we stop with a report.
        chain += describe(
            f.vector, EventSource::kException, f.has_error_code,
            f.has_error_code && selector_format(f.vector) ? f.error_code | 1 : f.error_code);
        shutdown("triple fault: " + chain + " at CS:EIP " + hex(s_.seg[CS].selector, 4) + ":" +
                 hex(s_.eip, 8) + " (CPL " + std::to_string(s_.cpl) + ", IDTR base " +
                 hex(s_.idtr.base, 8) + " limit " + hex(s_.idtr.limit, 4) + ")");
        return;
      }
      // The EXT bit marks a fault raised while delivering an event the program did not
      // ask for: an external interrupt or an earlier exception (6.13).
      // The IDT-vectoring information of an exit the new fault causes describes the event
      // whose delivery it interrupted, this one, not the new fault (SDM Vol. 3C, 27.2.4).
      if (guest_mode_) vectoring = interruption_info(vector, source, has_error_code, error_code);
      uint32_t code = f.error_code;
      if (f.has_error_code && selector_format(f.vector)) code |= 1;
      const ExceptionClass first =
          source == EventSource::kException ? classify(vector) : ExceptionClass::kBenign;
      const ExceptionClass second = classify(f.vector);
      const bool double_fault =
          (first == ExceptionClass::kContributory && second == ExceptionClass::kContributory) ||
          (first == ExceptionClass::kPageFault && second != ExceptionClass::kBenign);
      if (double_fault) {
        chain += describe(f.vector, EventSource::kException, f.has_error_code, code) + " -> ";
        vector = vec::DF;
        has_error_code = true;
        error_code = 0;
      } else {
        // Table 6-5 "handle exceptions serially": the second one is delivered; the first
        // recurs when its instruction restarts.
        vector = f.vector;
        has_error_code = f.has_error_code;
        error_code = code;
      }
      source = EventSource::kException;
    }
  }
}

void Cpu::inner_stack_from_tss(uint8_t dpl, uint32_t ext, uint16_t& ss_sel, uint32_t& esp,
                               SegmentCache& ss_cache) {
  const SegmentCache& tr = s_.tr;
  const uint32_t tss_err = selector_error(tr.selector) | ext;
  const bool tss32 = tr.type == sys_type::kTss32Busy || tr.type == sys_type::kTss32Available;
  // A 32-bit TSS holds ESPn at 4 + 8n and SSn at 8 + 8n; a 16-bit TSS SPn at 2 + 4n and
  // SSn at 4 + 4n (Vol. 3A, figures 7-2 and 7-11). The slot must lie within the TSS limit.
  if (tss32) {
    const uint32_t slot = (uint32_t{dpl} << 3) + 4;
    if (slot + 5 > tr.limit) fault(vec::TS, tss_err);
    esp = lin_read32(tr.base + slot, true);
    ss_sel = lin_read16(tr.base + slot + 4, true);
  } else {
    const uint32_t slot = (uint32_t{dpl} << 2) + 2;
    if (slot + 3 > tr.limit) fault(vec::TS, tss_err);
    esp = lin_read16(tr.base + slot, true);
    ss_sel = lin_read16(tr.base + slot + 2, true);
  }
  const uint32_t ss_err = selector_error(ss_sel) | ext;
  if (is_null_selector(ss_sel)) fault(vec::TS, ext);
  Descriptor d;
  uint32_t addr = 0;
  if (!fetch_descriptor(ss_sel, d.raw, &addr) || (ss_sel & 3) != dpl) fault(vec::TS, ss_err);
  if (d.dpl() != dpl || !d.writable()) fault(vec::TS, ss_err);
  if (!d.present()) fault(vec::SS, ss_err);
  set_descriptor_accessed(addr, d.raw);
  ss_cache = d.to_cache(ss_sel);
}

uint32_t Cpu::push_frame(const SegmentCache& ss, uint32_t esp, const uint32_t* values,
                         unsigned count, unsigned width, bool supervisor, uint32_t ss_error) {
  // The stack pointer is ESP with a 32-bit stack segment (B = 1), else SP, which wraps
  // at 64 KiB.
  const uint32_t mask = ss.db ? 0xFFFFFFFFu : 0xFFFFu;
  const uint32_t sp = esp & mask;
  const uint32_t total = count * width;
  const uint32_t new_sp = (sp - total) & mask;
  // The whole frame must fit before anything is written (INT n pseudo-code: "IF new stack
  // does not have room ... THEN #SS"). Each push is checked at its own offset: the stack
  // pointer wraps (at 4 GiB, or at 64 KiB for SP), so a frame may wrap around with every
  // push inside the limit, as each push of the hardware (and QEMU's) is.
  // With a 4 GiB expand-up stack, a push that wraps at 4 GiB "may or may not" fault (SDM
  // Vol. 3A, 5.3: implementation-specific when the effective limit is FFFFFFFFH); QEMU
  // does not check, so neither does the model: the offsets simply wrap.
  if (!ss.usable) fault(vec::SS, ss_error);
  const bool flat = ss.db && !ss.expand_down() && ss.limit == 0xFFFFFFFFu;
  for (uint32_t i = 1, at = sp; i <= count && !flat; ++i) {
    at = (at - width) & mask;
    if (!segment_contains(ss, at, width)) fault(vec::SS, ss_error);
  }
  uint32_t off = sp;
  for (unsigned i = 0; i < count; ++i) {
    off = (off - width) & mask;
    if (width == 4) {
      lin_write32(ss.base + off, values[i], supervisor);
    } else {
      lin_write16(ss.base + off, static_cast<uint16_t>(values[i]), supervisor);
    }
  }
  return ss.db ? new_sp : (esp & 0xFFFF0000u) | new_sp;
}

void Cpu::deliver_through_idt(uint8_t vector, EventSource source, bool has_error_code,
                              uint32_t error_code) {
  if (!s_.protected_mode()) [[unlikely]] {
    real_mode_deliver(vector);  // through the IVT, no error code (real_mode.cpp)
    return;
  }
  const uint32_t ext = is_software(source) ? 0 : 1;
  const uint32_t idt_err = uint32_t{vector} * 8 + 2 + ext;  // IDT bit set (6.13)

  // 1. The gate: within the IDT limit and of a gate type.
  if (uint32_t{vector} * 8 + 7 > s_.idtr.limit) fault_gp(idt_err);
  const uint32_t gate_addr = s_.idtr.base + uint32_t{vector} * 8;
  const uint32_t lo = lin_read32(gate_addr, true);
  const uint32_t hi = lin_read32(gate_addr + 4, true);
  const Descriptor gate{uint64_t{hi} << 32 | lo};
  const uint8_t type = gate.type();
  const bool valid_type =
      !gate.s() && (type == sys_type::kTaskGate || type == sys_type::kInterruptGate16 ||
                    type == sys_type::kTrapGate16 || type == sys_type::kInterruptGate32 ||
                    type == sys_type::kTrapGate32);
  if (!valid_type) fault_gp(idt_err);
  // 2. INT n, INT3 and INTO may only use gates with DPL >= CPL (6.12.1.1); this is how a
  // kernel keeps user code from calling its exception handlers. EXT is 0 here.
  if (is_software(source) && gate.dpl() < s_.cpl) fault_gp(uint32_t{vector} * 8 + 2);
  if (!gate.present()) fault(vec::NP, idt_err);
  if (type == sys_type::kTaskGate) {
    switch_task(check_idt_task_gate(*this, gate, ext), TaskSource::kIdtGate, has_error_code,
                error_code);
    return;
  }
  const bool gate32 = type == sys_type::kInterruptGate32 || type == sys_type::kTrapGate32;
  const bool interrupt_gate =
      type == sys_type::kInterruptGate32 || type == sys_type::kInterruptGate16;

  // 3. The target code segment.
  const uint16_t cs_sel = gate.gate_selector();
  const uint32_t cs_err = selector_error(cs_sel) | ext;
  if (is_null_selector(cs_sel)) fault_gp(ext);
  Descriptor cs;
  uint32_t cs_addr = 0;
  if (!fetch_descriptor(cs_sel, cs.raw, &cs_addr)) fault_gp(cs_err);
  if (!cs.is_code() || cs.dpl() > s_.cpl) fault_gp(cs_err);
  if (!cs.present()) fault(vec::NP, cs_err);
  const uint32_t offset = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFFu;
  const uint32_t width = gate32 ? 4 : 2;
  const uint32_t old_eflags = s_.eflags;

  if (!cs.conforming() && cs.dpl() < s_.cpl) {
    // 4a. To an inner privilege level: the handler's stack comes from the TSS, and the
    // interrupted SS:ESP goes onto it first (6.12.1, figure 6-4).
    const uint8_t new_cpl = cs.dpl();
    uint16_t ss_sel = 0;
    uint32_t new_esp = 0;
    SegmentCache ss_cache;
    inner_stack_from_tss(new_cpl, ext, ss_sel, new_esp, ss_cache);
    SegmentCache target = cs.to_cache(static_cast<uint16_t>((cs_sel & 0xFFFCu) | new_cpl));
    if (offset > target.limit) fault_gp(ext);
    const uint32_t frame[] = {s_.seg[SS].selector, s_.gpr[ESP], old_eflags,
                              s_.seg[CS].selector, s_.eip,      error_code};
    const unsigned count = has_error_code ? 6 : 5;
    const uint32_t esp = push_frame(ss_cache, new_esp, frame, count, width, new_cpl != 3,
                                    selector_error(ss_sel) | ext);
    set_descriptor_accessed(cs_addr, cs.raw);
    s_.seg[SS] = ss_cache;
    s_.gpr[ESP] = esp;
    s_.seg[CS] = target;
    s_.cpl = new_cpl;
  } else {
    // 4b. Same privilege level (DPL = CPL, or a conforming segment): the frame goes on
    // the current stack and CPL does not change.
    if (!cs.conforming() && cs.dpl() != s_.cpl) fault_gp(cs_err);
    SegmentCache target = cs.to_cache(static_cast<uint16_t>((cs_sel & 0xFFFCu) | s_.cpl));
    if (offset > target.limit) fault_gp(ext);
    const uint32_t frame[] = {old_eflags, s_.seg[CS].selector, s_.eip, error_code};
    const unsigned count = has_error_code ? 4 : 3;
    const uint32_t esp = push_frame(s_.seg[SS], s_.gpr[ESP], frame, count, width, s_.cpl != 3, ext);
    set_descriptor_accessed(cs_addr, cs.raw);
    s_.gpr[ESP] = esp;
    s_.seg[CS] = target;
  }
  s_.eip = offset;
  // TF, NT, RF and VM are cleared for the handler; an interrupt gate also clears IF,
  // a trap gate leaves it (6.12.1.2).
  uint32_t fl = old_eflags & ~(flags::TF | flags::NT | flags::RF | flags::VM);
  if (interrupt_gate) fl &= ~flags::IF;
  set_eflags(fl);
  s_.halted = false;
}

}  // namespace vmlab::cpu
