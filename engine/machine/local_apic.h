// LocalApic: the processor's local APIC in xAPIC mode, memory-mapped at IA32_APIC_BASE
// (SDM Vol. 3A, chapter 10 "Advanced Programmable Interrupt Controller").
//
// What is modeled, for one processor:
//   - the IA32_APIC_BASE MSR (base, global enable, BSP flag); a global disable is a
//     power-up reset of the APIC, and while disabled the registers are not decoded;
//   - the register page: ID, version, TPR/APR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR, ESR,
//     ICR, the six LVT entries and the timer (initial/current count, divide);
//   - fixed interrupts from the timer and from IPIs the processor sends itself (ICR
//     shorthand "self" or "all including self", or its own physical ID), prioritized by
//     the TPR and the in-service register; EOI retires the highest in-service vector;
//   - LINT0 in ExtINT mode: the 8259A pair reaches INTR through it (the firmware leaves
//     LINT0 in ExtINT mode, see apply_firmware_state), and with the APIC globally disabled
//     the PIC is wired straight to INTR; a globally disabled APIC decodes no addresses
//     (SDM 10.4.3; QEMU keeps answering at the page, a difference tests/kernels/apic
//     avoids);
//   - the timer in one-shot and periodic modes, counting a 1 GHz clock of modeled time
//     divided by the divide configuration (QEMU's APIC timer counts nanoseconds of virtual
//     time the same way, hw/intc/apic.c).
//   - messages from the I/O APIC (io_apic.h, receive()): fixed, lowest-priority and ExtINT
//     ones to this processor's physical ID, the broadcast ID 0xFF, or its logical
//     destination; a level-triggered one sets its TMR bit, and the EOI that retires such a
//     vector is broadcast to the I/O APIC (set_eoi_listener), as QEMU's apic_eoi does;
//   - NMI messages (delivery mode 100b, SDM Vol. 3A 10.6.1): an IPI through the ICR to this
//     processor (self, all including self, its physical ID or logical destination) and an
//     I/O APIC entry in NMI mode reach the processor's NMI input (set_nmi_listener; the
//     vector field is ignored, as QEMU's apic_bus_deliver does). The LVT entries of LINT0,
//     LINT1, the performance counters, thermal and error keep their delivery mode (10.5.1;
//     the timer's has none), but nothing here raises them: no device drives LINT1 on this
//     PC, the processor has no performance counters (tests/kernels/pmu) nor thermal sensor,
//     and an APIC error sets the ESR without signalling the error entry.
// Not modeled: other processors (INIT, SIPI and IPIs to another ID are accepted and go
// nowhere: delivery status reads idle), SMI and INIT delivery to this processor (dropped),
// TSC-deadline mode, x2APIC, the thermal, performance and CMCI sources (their LVT entries
// hold what the guest writes).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <utility>

#include "engine/cpu/state_codec.h"
#include "engine/machine/modeled_clock.h"

namespace vmlab::machine {

class LocalApic {
 public:
  static constexpr uint32_t kDefaultBase = 0xFEE00000u;
  static constexpr uint64_t kTimerHz = 1'000'000'000;
  static constexpr uint64_t kNever = ~uint64_t{0};

  // IA32_APIC_BASE bits (SDM Vol. 3A, figure 10-5).
  static constexpr uint64_t kMsrBsp = 1u << 8;
  static constexpr uint64_t kMsrEnable = 1u << 11;

  // Register offsets in the APIC page (SDM Vol. 3A, table 10-1).
  enum Reg : uint32_t {
    kId = 0x20,
    kVersion = 0x30,
    kTpr = 0x80,
    kApr = 0x90,
    kPpr = 0xA0,
    kEoi = 0xB0,
    kRrd = 0xC0,
    kLdr = 0xD0,
    kDfr = 0xE0,
    kSvr = 0xF0,
    kIsr = 0x100,
    kTmr = 0x180,
    kIrr = 0x200,
    kEsr = 0x280,
    kLvtCmci = 0x2F0,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
    kLvtTimer = 0x320,
    kLvtThermal = 0x330,
    kLvtPerf = 0x340,
    kLvtLint0 = 0x350,
    kLvtLint1 = 0x360,
    kLvtError = 0x370,
    kTimerInitial = 0x380,
    kTimerCurrent = 0x390,
    kTimerDivide = 0x3E0,
  };
  // Version register: version 0x14 (an integrated xAPIC) with six LVT entries, the value
  // QEMU's APIC reports.
  static constexpr uint32_t kVersionValue = (5u << 16) | 0x14;
  static constexpr uint32_t kLvtMasked = 1u << 16;
  static constexpr uint32_t kSvrEnable = 1u << 8;

  // `line_changed` is called when INTR may have changed (the processor looks again).
  LocalApic(ModeledClock& clock, std::function<void()> line_changed);

  // Power-up state (SDM Vol. 3A, 10.4.7.1), with the BSP flag and the default base.
  void reset();
  // What the firmware of qemu-system-i386 (SeaBIOS) leaves for a -kernel boot: the APIC
  // software-enabled with spurious vector 0xFF, LINT0 in ExtINT mode and LINT1 in NMI mode,
  // both unmasked and level-triggered (virtual-wire mode: the 8259A reaches INTR through
  // LINT0). Read back under QEMU by tests/kernels/apic.
  void apply_firmware_state() {
    svr_ = 0x1FF;
    lvt_[kLint0] = 0x8700;
    lvt_[kLint1] = 0x8400;
  }

  // --- IA32_APIC_BASE -------------------------------------------------------------------
  uint64_t base_msr() const { return base_msr_; }
  // False for a value with reserved bits set (the WRMSR raises #GP(0)).
  bool write_base_msr(uint64_t value);
  bool globally_enabled() const { return (base_msr_ & kMsrEnable) != 0; }
  bool software_enabled() const { return (svr_ & kSvrEnable) != 0; }
  // Whether physical address `pa` falls in the APIC's register page.
  bool decodes(uint32_t pa) const {
    return globally_enabled() && (pa & ~0xFFFu) == static_cast<uint32_t>(base_msr_ & ~0xFFFull);
  }

  // --- Registers (32-bit aligned accesses; other offsets read 0, writes are dropped) ----
  uint32_t read(uint32_t offset);
  void write(uint32_t offset, uint32_t value);

  // --- Interrupts -------------------------------------------------------------------------
  // A message from the I/O APIC: `destination` physical (an APIC ID, 0xFF all) or logical
  // (matched against LDR in the DFR's model), the delivery mode (0 fixed, 1 lowest
  // priority and 7 ExtINT are accepted as fixed, as QEMU's apic_bus_deliver does with one
  // processor; 4, NMI, reaches its NMI input; SMI and INIT go nowhere), the vector and the
  // trigger mode. Nothing reaches a globally disabled APIC.
  void receive(uint8_t destination, bool logical, unsigned mode, uint8_t vector, bool level);
  // Called for every NMI message this APIC accepts (the processor's NMI input, which
  // latches it). Empty: none.
  void set_nmi_listener(std::function<void()> listener) { nmi_listener_ = std::move(listener); }
  static constexpr unsigned kModeNmi = 4;
  // Called with the vector when an EOI retires a level-triggered one (TMR bit set): the
  // I/O APIC's EOI broadcast. Empty: none.
  void set_eoi_listener(std::function<void(uint8_t)> listener) {
    eoi_listener_ = std::move(listener);
  }
  // A fixed interrupt waits in the IRR whose priority class beats the processor priority.
  bool interrupt_pending() const;
  // The interrupt-acknowledge cycle: the highest such vector moves from IRR to ISR; with
  // none left (the TPR rose meanwhile) the spurious vector (SVR[7:0]), as the hardware.
  uint8_t acknowledge();
  // Whether the 8259A's INTR reaches the processor: LINT0 unmasked, or the APIC disabled.
  bool passes_pic() const { return !globally_enabled() || !(lvt_[kLint0] & kLvtMasked); }

  // --- Timer ------------------------------------------------------------------------------
  // The cycle at which the timer next reaches zero with its LVT entry unmasked, or kNever.
  uint64_t next_event_cycle() const;
  // Brings the timer up to `cycle`, raising its interrupt if it expired.
  void advance_to(uint64_t cycle);

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  enum Lvt : unsigned { kTimer = 0, kThermal, kPerf, kLint0, kLint1, kError, kCmci, kLvtCount };
  static int highest(const std::array<uint32_t, 8>& bits);
  static bool test(const std::array<uint32_t, 8>& bits, uint8_t v) {
    return (bits[v >> 5] >> (v & 31)) & 1;
  }
  static void set(std::array<uint32_t, 8>& bits, uint8_t v) { bits[v >> 5] |= 1u << (v & 31); }
  static void clear(std::array<uint32_t, 8>& bits, uint8_t v) { bits[v >> 5] &= ~(1u << (v & 31)); }
  uint32_t ppr() const;
  // A fixed interrupt arrives: vectors 0-15 are illegal (ESR bit 6, not accepted). The TMR
  // bit records the trigger mode (set: level).
  void accept(uint8_t vector, bool level = false);
  // Whether a fixed interrupt to `dest` (physical or logical) is this processor's.
  bool matches(uint8_t dest, bool logical) const;
  void send_ipi(uint32_t icr_low);
  void write_lvt(Lvt which, uint32_t value);
  // Timer arithmetic: one count lasts divide() ticks of the 1 GHz timer clock.
  uint32_t divide() const;
  uint64_t ticks_now() const { return clock_.ticks_at(clock_.now(), kTimerHz); }
  uint32_t current_count(uint64_t ticks) const;
  // Runs the count down from `count` at tick `ticks` (0 stops the timer).
  void run_timer_from(uint64_t ticks, uint32_t count);

  ModeledClock& clock_;
  std::function<void()> line_changed_;
  std::function<void(uint8_t)> eoi_listener_;
  std::function<void()> nmi_listener_;
  uint64_t base_msr_ = 0;
  uint32_t id_ = 0;
  uint32_t tpr_ = 0;
  uint32_t ldr_ = 0;
  uint32_t dfr_ = 0;
  uint32_t svr_ = 0;
  uint32_t esr_ = 0;
  uint32_t esr_pending_ = 0;  // errors since the last ESR write (the write latches them)
  uint32_t icr_low_ = 0;
  uint32_t icr_high_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  std::array<uint32_t, 8> isr_{};
  std::array<uint32_t, 8> tmr_{};
  std::array<uint32_t, 8> irr_{};
  // The timer: the initial count, the divide configuration register, and the tick of the
  // 1 GHz clock at which the count next reaches zero (while running; a periodic timer
  // reloads and runs on, a one-shot one stops).
  uint32_t timer_initial_ = 0;
  uint32_t timer_divide_reg_ = 0;
  uint64_t timer_zero_tick_ = 0;
  bool timer_running_ = false;
};

}  // namespace vmlab::machine
