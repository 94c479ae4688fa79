#include "engine/machine/local_apic.h"

#include <utility>

namespace vmlab::machine {

namespace {

// Writable bits of the LVT entries (SDM Vol. 3A, figure 10-8): the vector, the delivery
// mode where there is one, polarity and trigger mode for LINT0/1, the mask, and the timer
// mode (bits 17-18; TSC-deadline is not reported by CPUID and counts as one-shot).
constexpr uint32_t kLvtWritable[] = {
    0x000700FF,  // timer
    0x000107FF,  // thermal
    0x000107FF,  // performance counters
    0x0001A7FF,  // LINT0
    0x0001A7FF,  // LINT1
    0x000100FF,  // error
    0x000107FF,  // CMCI
};
constexpr uint32_t kTimerPeriodic = 1u << 17;
constexpr uint32_t kEsrSendIllegal = 1u << 5;
constexpr uint32_t kEsrReceiveIllegal = 1u << 6;
// "Illegal Register Address": an access to a reserved register of the APIC page (SDM Vol.
// 3A, 10.5.3, ESR bit 7; table 10-1 for the reserved offsets). QEMU's APIC sets it too.
constexpr uint32_t kEsrIllegalRegister = 1u << 7;

// The offsets table 10-1 marks reserved: 00H-10H, 40H-70H, 290H-2E0H, 3A0H-3D0H, 3F0H and
// everything from 400H up (only the 16-byte-aligned register offsets are judged).
bool reserved_register(uint32_t offset) {
  if ((offset & 0xFu) != 0) return false;
  return offset <= 0x10 || (offset >= 0x40 && offset <= 0x70) ||
         (offset >= 0x290 && offset <= 0x2E0) || (offset >= 0x3A0 && offset <= 0x3D0) ||
         offset >= 0x3F0;
}
// ICR (SDM Vol. 3A, figure 10-12): vector, delivery mode, destination mode, level,
// trigger mode, destination shorthand.
constexpr uint32_t kIcrWritable = 0x000CCFFF;

}  // namespace

LocalApic::LocalApic(ModeledClock& clock, std::function<void()> line_changed)
    : clock_(clock), line_changed_(std::move(line_changed)) {
  reset();
}

void LocalApic::reset() {
  base_msr_ = kDefaultBase | kMsrBsp | kMsrEnable;
  id_ = 0;
  tpr_ = 0;
  ldr_ = 0;
  dfr_ = 0xFFFFFFFFu;
  svr_ = 0xFF;
  esr_ = esr_pending_ = 0;
  icr_low_ = icr_high_ = 0;
  lvt_.fill(kLvtMasked);
  isr_.fill(0);
  tmr_.fill(0);
  irr_.fill(0);
  timer_initial_ = 0;
  timer_divide_reg_ = 0;
  timer_zero_tick_ = 0;
  timer_running_ = false;
}

bool LocalApic::write_base_msr(uint64_t value) {
  // Reserved: bits 0-7, 9 and 10 (x2APIC is not offered), and everything above the
  // 32-bit physical address width. The BSP flag is read-only.
  if (value & (0xFFull | (1ull << 9) | (1ull << 10) | ~0xFFFFFFFFull)) return false;
  const bool was_enabled = globally_enabled();
  base_msr_ = (value & ~kMsrBsp) | (base_msr_ & kMsrBsp);
  if (was_enabled && !globally_enabled()) {
    // As QEMU does: the APIC stops delivering and is software-disabled; the processor
    // behaves as one without an APIC (CPUID.1:EDX.APIC reads 0), the PIC wired to INTR.
    svr_ &= ~kSvrEnable;
  }
  line_changed_();
  return true;
}

int LocalApic::highest(const std::array<uint32_t, 8>& bits) {
  for (int w = 7; w >= 0; --w) {
    if (bits[w]) return w * 32 + 31 - __builtin_clz(bits[w]);
  }
  return -1;
}

uint32_t LocalApic::ppr() const {
  // SDM Vol. 3A, 10.8.3.1: the TPR, or the class of the highest in-service vector if that
  // is higher.
  const int isrv = highest(isr_);
  const uint32_t isr_class = isrv < 0 ? 0 : static_cast<uint32_t>(isrv) & 0xF0;
  return (tpr_ & 0xF0) >= isr_class ? tpr_ & 0xFF : isr_class;
}

bool LocalApic::interrupt_pending() const {
  if (!globally_enabled() || !software_enabled()) return false;
  const int v = highest(irr_);
  return v >= 0 && (static_cast<uint32_t>(v) & 0xF0) > (ppr() & 0xF0);
}

uint8_t LocalApic::acknowledge() {
  if (!interrupt_pending()) return static_cast<uint8_t>(svr_ & 0xFF);  // spurious
  const auto v = static_cast<uint8_t>(highest(irr_));
  clear(irr_, v);
  set(isr_, v);
  return v;
}

void LocalApic::accept(uint8_t vector, bool level) {
  if (vector < 16) {
    esr_pending_ |= kEsrReceiveIllegal;
    return;
  }
  set(irr_, vector);
  if (level) {
    set(tmr_, vector);
  } else {
    clear(tmr_, vector);
  }
  line_changed_();
}

bool LocalApic::matches(uint8_t dest, bool logical) const {
  if (!logical) return dest == 0xFF || dest == (id_ >> 24);
  // Logical destination, flat model (DFR = 0xFFFFFFFF): a bit mask of the LDRs; cluster
  // model: the cluster in the high nibble, members in the low one.
  const uint32_t ldr = ldr_ >> 24;
  return (dfr_ >> 28) == 0xF ? (dest & ldr) != 0
                             : (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF) != 0;
}

void LocalApic::receive(uint8_t destination, bool logical, unsigned mode, uint8_t vector,
                        bool level) {
  if (!globally_enabled() || !matches(destination, logical)) return;
  if (mode == 0 || mode == 1 || mode == 7) accept(vector, level);
  if (mode == kModeNmi && nmi_listener_) nmi_listener_();
}

void LocalApic::send_ipi(uint32_t icr_low) {
  const auto vector = static_cast<uint8_t>(icr_low & 0xFF);
  const uint32_t mode = (icr_low >> 8) & 7;
  const uint32_t shorthand = (icr_low >> 18) & 3;
  bool to_self = false;
  switch (shorthand) {
    case 1:  // self
    case 2:  // all including self
      to_self = true;
      break;
    case 3: break;  // all excluding self: there is nobody else
    default: to_self = matches(static_cast<uint8_t>(icr_high_ >> 24), (icr_low & (1u << 11)) != 0);
  }
  // An NMI reaches this processor's NMI input, whatever the vector field holds (SDM Vol.
  // 3A, 10.6.1: "the vector information is ignored"). Fixed and lowest-priority interrupts
  // reach this processor; SMI, INIT and start-up IPIs, and anything for other processors,
  // are not modeled and go nowhere.
  if (mode == kModeNmi) {
    if (to_self && nmi_listener_) nmi_listener_();
    return;
  }
  if (mode != 0 && mode != 1) return;
  if (vector < 16) {
    esr_pending_ |= kEsrSendIllegal;
    return;
  }
  if (to_self) accept(vector);
}

void LocalApic::write_lvt(Lvt which, uint32_t value) {
  uint32_t v = value & kLvtWritable[which];
  if (!software_enabled()) v |= kLvtMasked;  // 10.4.7.2: masks stay set while disabled
  lvt_[which] = v;
  line_changed_();
}

uint32_t LocalApic::divide() const {
  // Divide configuration (SDM Vol. 3A, figure 10-10): bits 0, 1 and 3; 111 is divide by 1.
  const uint32_t code = (timer_divide_reg_ & 3) | ((timer_divide_reg_ >> 1) & 4);
  return code == 7 ? 1 : 2u << code;
}

uint32_t LocalApic::current_count(uint64_t ticks) const {
  // The count falls by one every divide() ticks and reaches 0 at timer_zero_tick_.
  if (!timer_running_) return 0;
  const uint64_t d = divide();
  uint64_t remaining = 0;
  if (ticks < timer_zero_tick_) {
    remaining = timer_zero_tick_ - ticks;
  } else if (lvt_[kTimer] & kTimerPeriodic) {
    const uint64_t period = uint64_t{timer_initial_} * d;
    remaining = period - (ticks - timer_zero_tick_) % period;
  } else {
    return 0;
  }
  return static_cast<uint32_t>((remaining + d - 1) / d);
}

void LocalApic::run_timer_from(uint64_t ticks, uint32_t count) {
  timer_running_ = count != 0;
  timer_zero_tick_ = ticks + uint64_t{count} * divide();
  line_changed_();
}

uint64_t LocalApic::next_event_cycle() const {
  if (!timer_running_ || !globally_enabled() || (lvt_[kTimer] & kLvtMasked)) return kNever;
  return clock_.cycle_of_tick(timer_zero_tick_, kTimerHz);
}

void LocalApic::advance_to(uint64_t cycle) {
  if (!timer_running_) return;
  const uint64_t ticks = clock_.ticks_at(cycle, kTimerHz);
  if (ticks < timer_zero_tick_) return;
  if (lvt_[kTimer] & kTimerPeriodic) {
    // However many periods went by (an idle skip), one interrupt is pending: the IRR holds
    // one bit per vector.
    const uint64_t period = uint64_t{timer_initial_} * divide();
    timer_zero_tick_ += ((ticks - timer_zero_tick_) / period + 1) * period;
  } else {
    timer_running_ = false;
  }
  if (!(lvt_[kTimer] & kLvtMasked) && software_enabled()) {
    accept(static_cast<uint8_t>(lvt_[kTimer] & 0xFF));
  }
}

uint32_t LocalApic::read(uint32_t offset) {
  if (reserved_register(offset)) {
    esr_pending_ |= kEsrIllegalRegister;
    return 0;
  }
  if (offset >= kIsr && offset < kIsr + 0x80) return isr_[(offset - kIsr) >> 4];
  if (offset >= kTmr && offset < kTmr + 0x80) return tmr_[(offset - kTmr) >> 4];
  if (offset >= kIrr && offset < kIrr + 0x80) return irr_[(offset - kIrr) >> 4];
  switch (offset) {
    case kId: return id_;
    case kVersion: return kVersionValue;
    case kTpr: return tpr_;
    case kApr: return 0;
    case kPpr: return ppr();
    case kLdr: return ldr_;
    case kDfr: return dfr_;
    case kSvr: return svr_;
    case kEsr: return esr_;
    case kIcrLow: return icr_low_;  // delivery status (bit 12): always idle
    case kIcrHigh: return icr_high_;
    case kLvtTimer: return lvt_[kTimer];
    case kLvtThermal: return lvt_[kThermal];
    case kLvtPerf: return lvt_[kPerf];
    case kLvtLint0: return lvt_[kLint0];
    case kLvtLint1: return lvt_[kLint1];
    case kLvtError: return lvt_[kError];
    case kLvtCmci: return lvt_[kCmci];
    case kTimerInitial: return timer_initial_;
    case kTimerCurrent: return current_count(ticks_now());
    case kTimerDivide: return timer_divide_reg_;
    default: return 0;
  }
}

void LocalApic::write(uint32_t offset, uint32_t value) {
  if (reserved_register(offset)) {
    esr_pending_ |= kEsrIllegalRegister;
    return;
  }
  switch (offset) {
    case kId: id_ = value & 0xFF000000u; return;
    case kTpr:
      tpr_ = value & 0xFF;
      line_changed_();
      return;
    case kEoi: {
      const int v = highest(isr_);
      if (v >= 0) clear(isr_, static_cast<uint8_t>(v));
      line_changed_();
      // A level-triggered vector's EOI reaches the I/O APIC (QEMU: apic_eoi broadcasts when
      // the vector's TMR bit is set), which may deliver it again at once.
      if (v >= 0 && test(tmr_, static_cast<uint8_t>(v)) && eoi_listener_) {
        eoi_listener_(static_cast<uint8_t>(v));
      }
      return;
    }
    case kLdr: ldr_ = value & 0xFF000000u; return;
    case kDfr: dfr_ = value | 0x0FFFFFFFu; return;
    case kSvr:
      svr_ = value & 0x3FF;
      if (!software_enabled()) {
        for (uint32_t& e : lvt_) e |= kLvtMasked;
      }
      line_changed_();
      return;
    case kEsr:
      esr_ = esr_pending_;
      esr_pending_ = 0;
      return;
    case kIcrLow:
      icr_low_ = value & kIcrWritable;
      send_ipi(icr_low_);
      return;
    case kIcrHigh: icr_high_ = value & 0xFF000000u; return;
    case kLvtTimer: {
      // A change of mode keeps the count running (the current period is not restarted).
      write_lvt(kTimer, value);
      return;
    }
    case kLvtThermal: write_lvt(kThermal, value); return;
    case kLvtPerf: write_lvt(kPerf, value); return;
    case kLvtLint0: write_lvt(kLint0, value); return;
    case kLvtLint1: write_lvt(kLint1, value); return;
    case kLvtError: write_lvt(kError, value); return;
    case kLvtCmci: write_lvt(kCmci, value); return;
    case kTimerInitial:
      timer_initial_ = value;
      run_timer_from(ticks_now(), value);
      return;
    case kTimerDivide: {
      // The count goes on from where it is, at the new rate.
      const uint64_t now = ticks_now();
      const uint32_t count = current_count(now);
      timer_divide_reg_ = value & 0xB;
      if (timer_running_) run_timer_from(now, count);
      return;
    }
    default: return;  // read-only and reserved registers
  }
}

}  // namespace vmlab::machine
