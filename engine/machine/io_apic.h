// IoApic: the PC's I/O APIC, an Intel 82093AA at physical 0xFEC00000, as QEMU's PC
// (i440FX/PIIX3) has it (hw/intc/ioapic.c of QEMU 7.2, the facts cited below; the
// datasheet is "82093AA I/O Advanced Programmable Interrupt Controller", 1996).
//
// The registers are reached indirectly: IOREGSEL at +0x00 selects one, IOWIN at +0x10
// reads or writes it; QEMU's version 0x20 adds an EOI register at +0x40 (a write of a
// vector there does what the local APIC's EOI broadcast does). QEMU decodes the offset
// within each 256 bytes of its 4 KiB page (addr & 0xFF), IOWIN only for 32-bit accesses,
// IOREGSEL at any size (an 8-bit register: a wider value is truncated), and the EOI
// register only for 32-bit writes; everything else reads 0 and is dropped. An unaligned
// access is what QEMU's TCG makes of one (accel/tcg/cputlb.c): a load is two aligned loads
// of its size with their bytes combined, a store is stored byte by byte. Registers:
//   0x00 ID   bits 24-27 (4-bit ID, 0 at reset); ARB (0x02) reads the same and is read-only
//   0x01 VER  0x00170020: version 0x20 (QEMU's default, IOAPIC_VER_DEF), maximum
//             redirection entry 23 (24 pins); read-only
//   0x10 + 2n, 0x11 + 2n  redirection entry n (n < 24), low and high dword: vector (0-7),
//             delivery mode (8-10), destination mode (11), delivery status (12, always 0),
//             polarity (13), remote IRR (14), trigger mode (15: 1 level), mask (16),
//             destination (56-63). Every bit is writable but delivery status and remote
//             IRR (QEMU keeps the reserved bits as written: IOAPIC_RW_BITS); a write of an
//             edge-triggered entry clears its remote IRR. Masked (0x10000) at reset.
// Interrupts (QEMU's ioapic_set_irq and ioapic_service): an edge-triggered pin latches a
// rising edge in its IRR bit only while unmasked; a level-triggered pin's IRR bit follows
// the line. After every input change and every write of an entry, each pin with its IRR
// bit set and its entry unmasked is delivered: an edge pin's IRR bit is cleared, a level
// pin's remote IRR is set and, while it stays set, the pin is not delivered again. The
// local APIC's EOI of a level-triggered vector (its TMR bit) is broadcast here
// (eoi_broadcast): every level entry with that vector has its remote IRR cleared and is
// delivered again if its line is still high. The polarity bit is kept but, as in QEMU's
// model, not applied to the line (the ISA lines are active-high). Delivery is the message
// QEMU sends the local APIC (destination = bits 56-63, physical or logical, the delivery
// mode, the vector, the trigger mode); for ExtINT the vector is the 8259A pair's
// interrupt-acknowledge (QEMU: pic_read_irq at the entry's parse). What the local APIC does
// with the message: LocalApic::receive.
//
// Wiring (QEMU's GSI routing, ioapic_set_irq: "ISA IRQs map to GSI 1-1 except for IRQ0
// which maps to GSI 2"): ISA IRQ 0 (the PIT) reaches pin 2, every other ISA IRQ n pin n
// (IRQ 1 the keyboard, 4 COM1, 14 the IDE channel). The 8259A pair gets every line as
// before; while all pins are masked the I/O APIC delivers nothing.
// Not modeled: QEMU's delay of a level interrupt re-asserted 10000 times in a row at EOI
// (an interrupt storm); a second I/O APIC; interrupt remapping.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "engine/cpu/state_codec.h"

namespace vmlab::machine {

class IoApic {
 public:
  static constexpr uint32_t kBase = 0xFEC00000u;
  static constexpr uint32_t kPageSize = 0x1000;
  static constexpr unsigned kPins = 24;
  static constexpr uint32_t kVersion = 0x20;
  // Offsets in the page (within each 256 bytes).
  static constexpr uint32_t kRegSel = 0x00, kWindow = 0x10, kEoi = 0x40;
  // Indirect registers.
  static constexpr uint8_t kRegId = 0x00, kRegVer = 0x01, kRegArb = 0x02, kRegRedirBase = 0x10;
  // Redirection entry bits.
  static constexpr uint64_t kDeliveryStatus = 1u << 12;
  static constexpr uint64_t kPolarityLow = 1u << 13;
  static constexpr uint64_t kRemoteIrr = 1u << 14;
  static constexpr uint64_t kLevelTriggered = 1u << 15;
  static constexpr uint64_t kMasked = 1u << 16;
  static constexpr uint64_t kReadOnly = kDeliveryStatus | kRemoteIrr;
  // Delivery modes (bits 8-10).
  enum DeliveryMode : unsigned {
    kFixed = 0,
    kLowestPriority = 1,
    kSmi = 2,
    kNmi = 4,
    kInit = 5,
    kExtInt = 7
  };

  // What an entry sends the local APIC.
  struct Message {
    uint8_t destination;
    bool logical;
    unsigned mode;  // DeliveryMode (3 and 6 are reserved)
    uint8_t vector;
    bool level;
  };

  // `deliver` hands a message to the local APIC; `extint_vector` runs the 8259A pair's
  // interrupt-acknowledge cycle for an ExtINT entry.
  IoApic(std::function<void(const Message&)> deliver, std::function<uint8_t()> extint_vector);

  static bool decodes(uint32_t pa) { return (pa & ~(kPageSize - 1)) == kBase; }
  // The pin ISA IRQ `irq` (0-15) is wired to.
  static unsigned pin_of_isa_irq(unsigned irq) { return irq == 0 ? 2 : irq; }

  // Power-up state: every entry masked, ID 0, IOREGSEL 0, no request latched.
  void reset();

  // Accesses at `offset` (0-0xFFF) in the page, of 1, 2 or 4 bytes at any alignment.
  uint32_t read(uint32_t offset, unsigned size) const;
  void write(uint32_t offset, unsigned size, uint32_t value);

  // Input pin `pin` (< kPins) goes to `high`.
  void set_irq(unsigned pin, bool high);
  // The local APIC retired level-triggered `vector` (its EOI broadcast).
  void eoi_broadcast(uint8_t vector);

  // Whether an interrupt on `pin` would be delivered now (unmasked, and for a level pin no
  // remote IRR outstanding): the machine asks whether a halted processor can wake.
  bool can_deliver(unsigned pin) const;
  // The delivery mode (bits 8-10) of pin `pin`'s entry.
  unsigned delivery_mode(unsigned pin) const {
    return pin < kPins ? static_cast<unsigned>((table_[pin] >> 8) & 7) : 0;
  }

  // Inspection (tests, the GUI).
  uint64_t entry(unsigned pin) const { return table_[pin]; }
  uint32_t irr() const { return irr_; }
  uint8_t selected() const { return regsel_; }
  uint8_t id() const { return id_; }

  // Saved state (docs/snapshots.md): ID, IOREGSEL, the IRR and line levels, the table;
  // load() fails `r` on a value no guest could have produced (delivery status set, remote
  // IRR on an edge entry, bits beyond pin 23, an ID above 15).
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  uint32_t read_aligned(uint32_t offset, unsigned size) const;
  uint32_t read_register(uint8_t reg) const;
  void write_register(uint8_t reg, uint32_t value);
  // Delivers every pin that has a request and is unmasked (QEMU's ioapic_service).
  void service();

  std::function<void(const Message&)> deliver_;
  std::function<uint8_t()> extint_vector_;
  uint8_t id_ = 0;
  uint8_t regsel_ = 0;
  uint32_t irr_ = 0;     // requests latched (edge) or lines high (level), one bit per pin
  uint32_t levels_ = 0;  // the input lines as last driven
  std::array<uint64_t, kPins> table_{};
};

}  // namespace vmlab::machine
