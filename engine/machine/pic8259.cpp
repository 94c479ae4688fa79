#include "engine/machine/pic8259.h"

#include <utility>

namespace vmlab::machine {

Pic8259::Pic8259(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

int Pic8259::highest_in_service() const {
  for (unsigned rank = 0; rank < 8; ++rank) {
    const unsigned level = (lowest_ + 1 + rank) & 7;
    if (isr_ & (1u << level)) return static_cast<int>(level);
  }
  return -1;
}

int Pic8259::grantable() const {
  const uint8_t requests = irr_ & ~imr_;
  if (requests == 0) return -1;
  // In special mask mode a level in service does not hold back the others (datasheet,
  // OCW3 "Special Mask Mode"); otherwise it holds back itself and every lower level, and
  // in special fully nested mode (for a master) only the lower ones.
  unsigned blocking_rank = 8;
  if (!special_mask_) {
    const int in_service = highest_in_service();
    if (in_service >= 0) blocking_rank = priority_rank(static_cast<unsigned>(in_service));
    if (special_fully_nested_ && blocking_rank < 8) ++blocking_rank;
  }
  for (unsigned rank = 0; rank < blocking_rank && rank < 8; ++rank) {
    const unsigned level = (lowest_ + 1 + rank) & 7;
    if (requests & (1u << level)) return static_cast<int>(level);
  }
  return -1;
}

bool Pic8259::can_deliver(unsigned level_index) const {
  const uint8_t bit = static_cast<uint8_t>(1u << (level_index & 7));
  if (imr_ & bit) return false;
  if (special_mask_) return true;
  const int in_service = highest_in_service();
  if (in_service < 0) return true;
  const unsigned blocking = priority_rank(static_cast<unsigned>(in_service));
  const unsigned rank = priority_rank(level_index & 7);
  return rank < blocking || (special_fully_nested_ && rank == blocking);
}

void Pic8259::set_irq(unsigned level_index, bool high) {
  const uint8_t bit = static_cast<uint8_t>(1u << (level_index & 7));
  const bool was_high = (lines_ & bit) != 0;
  if (high) {
    lines_ |= bit;
  } else {
    lines_ &= ~bit;
  }
  if (level_triggered_) {
    // Level mode: the request is the pin itself.
    if (high) {
      irr_ |= bit;
    } else {
      irr_ &= ~bit;
    }
  } else if (high && !was_high) {
    irr_ |= bit;
  }
  changed();
}

void Pic8259::set_cascade_input(unsigned level_index, bool high) {
  const uint8_t bit = static_cast<uint8_t>(1u << (level_index & 7));
  cascade_ |= bit;
  if (high) {
    irr_ |= bit;
    lines_ |= bit;
  } else {
    irr_ &= ~bit;
    lines_ &= ~bit;
  }
  changed();
}

uint8_t Pic8259::acknowledge(bool& spurious) {
  const int level = grantable();
  if (level < 0) {
    spurious = true;
    return 7;
  }
  spurious = false;
  const uint8_t bit = static_cast<uint8_t>(1u << level);
  // A level-triggered or cascade request stays in IRR while its pin is high; the ISR
  // bit keeps it from being granted again until the EOI.
  if (!level_triggered_ && !(cascade_ & bit)) irr_ &= ~bit;
  if (auto_eoi_) {
    if (rotate_on_auto_eoi_) lowest_ = static_cast<uint8_t>(level);
  } else {
    isr_ |= bit;
  }
  changed();
  return static_cast<uint8_t>(level);
}

void Pic8259::eoi(int level_index, bool rotate) {
  if (level_index < 0) return;
  isr_ &= static_cast<uint8_t>(~(1u << level_index));
  if (rotate) lowest_ = static_cast<uint8_t>(level_index);
}

void Pic8259::write_command(uint8_t v) {
  if (v & kIcw1) {
    // ICW1 (datasheet, "Initialization Command Words"): clears the mask, the requests
    // and the levels in service; IR7 becomes the lowest priority; ICW4 functions reset.
    init_step_ = 2;
    icw2_seen_ = false;
    need_icw3_ = !(v & kIcw1Single);
    need_icw4_ = (v & kIcw1Ic4) != 0;
    level_triggered_ = (v & kIcw1Ltim) != 0;
    imr_ = 0;
    isr_ = 0;
    irr_ = level_triggered_ ? static_cast<uint8_t>(lines_ & ~cascade_) : 0;
    irr_ |= static_cast<uint8_t>(lines_ & cascade_);
    lowest_ = 7;
    special_mask_ = false;
    read_isr_ = false;
    poll_ = false;
    auto_eoi_ = false;
    rotate_on_auto_eoi_ = false;
    special_fully_nested_ = false;
    changed();
    return;
  }
  if (v & kOcw3) {
    // OCW3: register to read, poll, special mask mode.
    if (v & 0x02) read_isr_ = (v & 0x01) != 0;
    poll_ = (v & kOcw3Poll) != 0;
    if (v & kOcw3Esmm) special_mask_ = (v & kOcw3Smm) != 0;
    changed();
    return;
  }
  // OCW2: R (bit 7), SL (bit 6), EOI (bit 5), level (bits 2-0).
  const int level = v & 7;
  switch (v >> 5) {
    case 0b001: eoi(highest_in_service(), false); break;  // non-specific EOI
    case 0b011: eoi(level, false); break;                 // specific EOI
    case 0b101: eoi(highest_in_service(), true); break;   // rotate on non-specific EOI
    case 0b111: eoi(level, true); break;                  // rotate on specific EOI
    case 0b100: rotate_on_auto_eoi_ = true; break;
    case 0b000: rotate_on_auto_eoi_ = false; break;
    case 0b110: lowest_ = static_cast<uint8_t>(level); break;  // set priority
    default: break;                                            // 010: no operation
  }
  changed();
}

void Pic8259::write_data(uint8_t v) {
  switch (init_step_) {
    case 2:
      icw2_ = v;
      icw2_seen_ = true;
      init_step_ = need_icw3_ ? 3 : (need_icw4_ ? 4 : 0);
      break;
    case 3:
      icw3_ = v;
      init_step_ = need_icw4_ ? 4 : 0;
      break;
    case 4:
      // ICW4: bit 0 selects 8086 mode; the 8080/8085 call sequence is not modeled, the
      // chip always answers INTA with an 8086-style vector, as in every PC.
      auto_eoi_ = (v & kIcw4Aeoi) != 0;
      special_fully_nested_ = (v & kIcw4Sfnm) != 0;
      init_step_ = 0;
      break;
    default:
      imr_ = v;  // OCW1
      break;
  }
  changed();
}

uint32_t Pic8259::io_read(uint16_t offset, unsigned) {
  if (offset & 1) return imr_;
  if (poll_) {
    // Poll command: the read is the interrupt acknowledge; bit 7 says whether there was
    // a request, bits 2-0 its level.
    poll_ = false;
    if (grantable() < 0) return 0;
    bool spurious = false;
    const uint8_t level = acknowledge(spurious);
    return 0x80u | level;
  }
  return read_isr_ ? isr_ : irr_;
}

void Pic8259::io_write(uint16_t offset, unsigned, uint32_t value) {
  const auto v = static_cast<uint8_t>(value);
  if (offset & 1) {
    write_data(v);
  } else {
    write_command(v);
  }
}

}  // namespace vmlab::machine
