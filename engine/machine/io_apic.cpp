#include "engine/machine/io_apic.h"

#include <utility>

namespace vmlab::machine {

namespace {

constexpr uint32_t kAllPins = (1u << IoApic::kPins) - 1;

}  // namespace

IoApic::IoApic(std::function<void(const Message&)> deliver, std::function<uint8_t()> extint_vector)
    : deliver_(std::move(deliver)), extint_vector_(std::move(extint_vector)) {
  reset();
}

void IoApic::reset() {
  id_ = 0;
  regsel_ = 0;
  irr_ = 0;
  levels_ = 0;
  table_.fill(kMasked);
}

uint32_t IoApic::read(uint32_t offset, unsigned size) const {
  if (size != 1 && size != 2 && size != 4) return 0;
  if ((offset & (size - 1)) != 0) {
    // Unaligned: two aligned reads of the same size, their bytes combined (QEMU's TCG
    // does so for any unaligned MMIO load, accel/tcg/cputlb.c, load_helper).
    const uint32_t first = offset & ~(size - 1);
    const unsigned shift = 8 * (offset - first);
    const uint64_t pair =
        uint64_t{read_aligned(first, size)} |
        (uint64_t{read_aligned((first + size) & (kPageSize - 1), size)} << (8 * size));
    const uint64_t value = pair >> shift;
    return size >= 4 ? static_cast<uint32_t>(value)
                     : static_cast<uint32_t>(value) & ((1u << (8 * size)) - 1);
  }
  return read_aligned(offset, size);
}

uint32_t IoApic::read_aligned(uint32_t offset, unsigned size) const {
  uint32_t value = 0;
  switch (offset & 0xFF) {
    case kRegSel: value = regsel_; break;
    case kWindow:
      if (size == 4) value = read_register(regsel_);
      break;
    default: break;
  }
  return size >= 4 ? value : value & ((1u << (8 * size)) - 1);
}

void IoApic::write(uint32_t offset, unsigned size, uint32_t value) {
  if (size != 1 && size != 2 && size != 4) return;
  if ((offset & (size - 1)) != 0) {
    // Unaligned: byte by byte (QEMU's TCG, accel/tcg/cputlb.c, store_helper_unaligned).
    for (unsigned i = 0; i < size; ++i) {
      write((offset + i) & (kPageSize - 1), 1, (value >> (8 * i)) & 0xFF);
    }
    return;
  }
  switch (offset & 0xFF) {
    case kRegSel: regsel_ = static_cast<uint8_t>(value); return;
    case kWindow:
      if (size == 4) write_register(regsel_, value);
      return;
    case kEoi:
      if (size == 4) eoi_broadcast(static_cast<uint8_t>(value));
      return;
    default: return;
  }
}

uint32_t IoApic::read_register(uint8_t reg) const {
  switch (reg) {
    case kRegId:
    case kRegArb: return uint32_t{id_} << 24;
    case kRegVer: return kVersion | ((kPins - 1) << 16);
    default: {
      if (reg < kRegRedirBase) return 0;
      const unsigned pin = (reg - kRegRedirBase) >> 1;
      if (pin >= kPins) return 0;
      return static_cast<uint32_t>((reg & 1) ? table_[pin] >> 32 : table_[pin]);
    }
  }
}

void IoApic::write_register(uint8_t reg, uint32_t value) {
  switch (reg) {
    case kRegId: id_ = static_cast<uint8_t>((value >> 24) & 0xF); return;
    case kRegVer:
    case kRegArb: return;
    default: {
      if (reg < kRegRedirBase) return;
      const unsigned pin = (reg - kRegRedirBase) >> 1;
      if (pin >= kPins) return;
      uint64_t& e = table_[pin];
      const uint64_t kept = e & kReadOnly;
      e = (reg & 1) ? (e & 0xFFFFFFFFull) | (uint64_t{value} << 32) : (e & ~0xFFFFFFFFull) | value;
      e = (e & ~kReadOnly) | kept;
      // An edge-triggered entry has no remote IRR (QEMU: ioapic_fix_edge_remote_irr; Linux
      // clears a stuck one by switching the entry to edge and back).
      if (!(e & kLevelTriggered)) e &= ~kRemoteIrr;
      service();
      return;
    }
  }
}

void IoApic::set_irq(unsigned pin, bool high) {
  if (pin >= kPins) return;
  const uint32_t bit = 1u << pin;
  const bool rising = high && !(levels_ & bit);
  levels_ = high ? levels_ | bit : levels_ & ~bit;
  const uint64_t e = table_[pin];
  if (e & kLevelTriggered) {
    if (!high) {
      irr_ &= ~bit;
      return;
    }
    irr_ |= bit;
    if (!(e & kRemoteIrr)) service();
    return;
  }
  // An edge on a masked pin is ignored (the 82093AA datasheet, as QEMU cites it).
  if (rising && !(e & kMasked)) {
    irr_ |= bit;
    service();
  }
}

void IoApic::service() {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    const uint32_t bit = 1u << pin;
    if (!(irr_ & bit)) continue;
    uint64_t& e = table_[pin];
    if (e & kMasked) continue;
    const bool level = (e & kLevelTriggered) != 0;
    if (level) {
      if (e & kRemoteIrr) continue;  // the previous one is still being handled
      e |= kRemoteIrr;
    } else {
      irr_ &= ~bit;
    }
    Message m;
    m.destination = static_cast<uint8_t>(e >> 56);
    m.logical = (e >> 11) & 1;
    m.mode = static_cast<unsigned>((e >> 8) & 7);
    m.vector = m.mode == kExtInt ? extint_vector_() : static_cast<uint8_t>(e & 0xFF);
    m.level = level;
    deliver_(m);
  }
}

void IoApic::eoi_broadcast(uint8_t vector) {
  bool again = false;
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& e = table_[pin];
    if ((e & 0xFF) != vector || !(e & kLevelTriggered) || !(e & kRemoteIrr)) continue;
    e &= ~kRemoteIrr;
    if (!(e & kMasked) && (irr_ & (1u << pin))) again = true;
  }
  if (again) service();
}

bool IoApic::can_deliver(unsigned pin) const {
  if (pin >= kPins) return false;
  const uint64_t e = table_[pin];
  return !(e & kMasked) && !((e & kLevelTriggered) && (e & kRemoteIrr));
}

void IoApic::save(cpu::ByteWriter& w) const {
  w.u8(id_);
  w.u8(regsel_);
  w.u32(irr_);
  w.u32(levels_);
  for (uint64_t e : table_) w.u64(e);
}

void IoApic::load(cpu::ByteReader& r) {
  id_ = r.u8();
  regsel_ = r.u8();
  irr_ = r.u32();
  levels_ = r.u32();
  if (id_ > 0xF || (irr_ & ~kAllPins) || (levels_ & ~kAllPins)) r.fail();
  for (uint64_t& e : table_) {
    e = r.u64();
    if ((e & kDeliveryStatus) || ((e & kRemoteIrr) && !(e & kLevelTriggered))) r.fail();
  }
  if (r.failed()) reset();
}

}  // namespace vmlab::machine
