// PicPair: the two cascaded 8259As of the PC/AT.
//
// The master at ports 0x20-0x21 takes IRQ 0-7 and drives the processor's INTR pin; the
// slave at 0xA0-0xA1 takes IRQ 8-15 and its INT output is wired to the master's IR2
// (IBM PC/AT Technical Reference, "System Interrupts"). On INTA the master resolves
// priority; when it grants IR2 the slave supplies the vector (the cascade lines CAS0-2
// select it, datasheet "Cascading").
//
// Spurious interrupts: if nothing is pending when INTA arrives, the master answers with
// its IR7 vector (IRQ 7); if the master granted IR2 but the slave has nothing, the slave
// answers with its IR7 vector (IRQ 15) and the master's ISR bit 2 is set, so the kernel
// must still EOI the master.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/pic8259.h"

namespace vmlab::machine {

class PicPair {
 public:
  static constexpr uint16_t kMasterBase = 0x20;
  static constexpr uint16_t kSlaveBase = 0xA0;
  static constexpr unsigned kCascadeIrq = 2;

  // `on_intr_change` is called whenever the INTR output may have changed.
  explicit PicPair(std::function<void()> on_intr_change = {});
  PicPair(const PicPair&) = delete;
  PicPair& operator=(const PicPair&) = delete;

  Pic8259& master() { return master_; }
  Pic8259& slave() { return slave_; }
  const Pic8259& master() const { return master_; }
  const Pic8259& slave() const { return slave_; }

  // IRQ pins 0-15.
  void set_irq(unsigned irq, bool high);
  // A rising edge and the line left high: what a device pulsing its IRQ does.
  void pulse_irq(unsigned irq) {
    set_irq(irq, false);
    set_irq(irq, true);
  }

  bool intr_pending() const { return master_.int_output(); }
  // The interrupt-acknowledge cycle: the vector for the processor.
  uint8_t acknowledge();
  // Whether an interrupt raised on `irq` could reach INTR without the guest changing
  // masks or sending an EOI (the machine uses it to tell if a halted CPU can wake).
  bool can_deliver(unsigned irq) const;

  uint64_t spurious_count() const { return spurious_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  void slave_changed();

  std::function<void()> on_intr_change_;
  Pic8259 master_;
  Pic8259 slave_;
  uint64_t spurious_ = 0;
};

}  // namespace vmlab::machine
