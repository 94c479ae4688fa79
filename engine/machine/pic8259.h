// Pic8259: one Intel 8259A Programmable Interrupt Controller.
//
// Datasheet: Intel 8259A, order no. 231468-003. Two ports, told apart by the A0 pin:
//   offset 0 (A0 = 0): ICW1 (bit 4 set), OCW2 (bits 4:3 = 00), OCW3 (bits 4:3 = 01);
//                      reads IRR or ISR as selected by OCW3, or the poll word
//   offset 1 (A0 = 1): ICW2..ICW4 during initialization, then OCW1 (the mask, IMR)
//
// The non-obvious bit: in edge-triggered mode the IRR bit is set by a low-to-high
// transition of the IR input and stays set until the interrupt is acknowledged, so a
// level that stays high raises one interrupt, not a stream of them. After ICW1 an input
// that is already high must go low and high again before it is seen (datasheet, ICW1 a).
//
// Priorities rotate: `lowest_` is the level with the lowest priority (7 after ICW1), the
// level after it has the highest. The INT output is raised when an unmasked request has
// a higher priority than every level in service.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class Pic8259 : public IoDevice {
 public:
  // Command words (datasheet, figures 7 and 8).
  static constexpr uint8_t kIcw1 = 0x10;         // A0 = 0, D4 = 1: start initialization
  static constexpr uint8_t kIcw1Ic4 = 0x01;      // ICW4 follows
  static constexpr uint8_t kIcw1Single = 0x02;   // single chip: no ICW3
  static constexpr uint8_t kIcw1Ltim = 0x08;     // level-triggered inputs
  static constexpr uint8_t kIcw4Aeoi = 0x02;     // automatic end of interrupt
  static constexpr uint8_t kIcw4Sfnm = 0x10;     // special fully nested mode
  static constexpr uint8_t kOcw3 = 0x08;         // A0 = 0, D4:D3 = 01
  static constexpr uint8_t kOcw3ReadIsr = 0x03;  // RR = 1, RIS = 1
  static constexpr uint8_t kOcw3ReadIrr = 0x02;  // RR = 1, RIS = 0
  static constexpr uint8_t kOcw3Poll = 0x04;
  static constexpr uint8_t kOcw3Esmm = 0x40;  // the SMM bit (0x20) is valid
  static constexpr uint8_t kOcw3Smm = 0x20;   // special mask mode
  static constexpr uint8_t kOcw2NonSpecificEoi = 0x20;
  static constexpr uint8_t kOcw2SpecificEoi = 0x60;  // | level

  // `on_change` is called whenever the INT output may have changed.
  explicit Pic8259(std::function<void()> on_change = {});

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // The IR input pins.
  void set_irq(unsigned level_index, bool high);
  // A cascade input from a slave's INT pin. It is followed as a level whatever the
  // triggering mode, so a slave that still has requests after an acknowledge keeps
  // its master's request up.
  void set_cascade_input(unsigned level_index, bool high);

  // The INT pin.
  bool int_output() const { return grantable() >= 0; }
  // The INTA sequence: returns the level acknowledged (IRR to ISR, or nothing in ISR in
  // automatic-EOI mode), or 7 with `spurious` set when no request is pending then: the
  // 8259A answers with its IR7 vector and sets no ISR bit (datasheet, "Interrupt
  // Sequence"), which is why kernels check ISR bit 7 before sending an EOI.
  uint8_t acknowledge(bool& spurious);
  // The vector the chip puts on the bus for a level (8086 mode: ICW2 T7-T3, level in D2-D0).
  uint8_t vector_for(uint8_t level_index) const { return (icw2_ & 0xF8) | (level_index & 7); }

  // True when an interrupt on this level could reach the INT output now or later without
  // the guest doing anything: unmasked and not blocked by a level in service.
  bool can_deliver(unsigned level_index) const;

  uint8_t irr() const { return irr_; }
  uint8_t isr() const { return isr_; }
  uint8_t imr() const { return imr_; }
  bool initialized() const { return init_step_ == 0 && icw2_seen_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // The level granted by priority resolution, or -1.
  int grantable() const;
  unsigned priority_rank(unsigned level_index) const { return (level_index - lowest_ - 1) & 7; }
  int highest_in_service() const;
  void write_command(uint8_t v);
  void write_data(uint8_t v);
  void eoi(int level_index, bool rotate);
  void changed() {
    if (on_change_) on_change_();
  }

  std::function<void()> on_change_;
  uint8_t irr_ = 0;
  uint8_t isr_ = 0;
  uint8_t imr_ = 0;
  uint8_t lines_ = 0;    // the current level of each IR pin (for edge detection)
  uint8_t cascade_ = 0;  // levels driven through set_cascade_input
  uint8_t icw2_ = 0;
  uint8_t icw3_ = 0;
  uint8_t lowest_ = 7;
  uint8_t init_step_ = 0;  // 0: operational; 2, 3, 4: the ICW expected next
  bool icw2_seen_ = false;
  bool need_icw3_ = false;
  bool need_icw4_ = false;
  bool level_triggered_ = false;
  bool auto_eoi_ = false;
  bool rotate_on_auto_eoi_ = false;
  bool special_fully_nested_ = false;
  bool special_mask_ = false;
  bool read_isr_ = false;
  bool poll_ = false;
};

}  // namespace vmlab::machine
