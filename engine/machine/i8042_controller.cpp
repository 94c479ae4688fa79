#include "engine/machine/i8042_controller.h"

namespace vmlab::machine {

uint8_t I8042Controller::status() const {
  return static_cast<uint8_t>((obf_ ? kStatusOutputFull : 0) |
                              (obf_ && out_aux_ ? kStatusAuxData : 0) |
                              (system_flag_ ? kStatusSystem : 0) |
                              (last_was_command_ ? kStatusCommand : 0) | kStatusNotInhibited);
}

uint32_t I8042Controller::io_read(uint16_t offset, unsigned) {
  if (offset == kCommandOffset) return status();
  const uint8_t b = out_;
  if (obf_) {
    obf_ = false;
    update_irq();  // the line falls with the read, and rises again if more is waiting
    refill();
    if (on_access_) on_access_();
  }
  return b;
}

void I8042Controller::io_write(uint16_t offset, unsigned, uint32_t value) {
  const auto v = static_cast<uint8_t>(value);
  if (offset == kCommandOffset) {
    last_was_command_ = true;
    command(v);
  } else {
    last_was_command_ = false;
    data(v);
  }
  refill();
  if (on_access_) on_access_();
}

void I8042Controller::reply(uint8_t b, bool aux) {
  reply_ = b;
  reply_aux_ = aux;
}

void I8042Controller::command(uint8_t c) {
  pending_ = Pending::kKeyboard;
  switch (c) {
    case 0x20: reply(ctr_); break;
    case 0x60: pending_ = Pending::kCommandByte; break;
    case 0xAA:
      system_flag_ = true;
      reply(0x55);
      break;
    case 0xAB: reply(0x00); break;
    case 0xA7: ctr_ |= kCtrAuxDisabled; break;
    case 0xA8: ctr_ &= static_cast<uint8_t>(~kCtrAuxDisabled); break;
    case 0xA9: reply(0x00); break;  // auxiliary interface test: no fault
    case 0xAD: ctr_ |= kCtrKbdDisabled; break;
    case 0xAE: ctr_ &= static_cast<uint8_t>(~kCtrKbdDisabled); break;
    case 0xC0: reply(0x80); break;
    case 0xD0: reply(static_cast<uint8_t>((output_port_ & ~0x30) | (obf_ ? 0x10 : 0x00))); break;
    case kCmdWriteOutputPort: pending_ = Pending::kOutputPort; break;
    case 0xD2: pending_ = Pending::kOutputBuffer; break;
    case 0xD3: pending_ = Pending::kAuxOutputBuffer; break;
    case 0xD4: pending_ = Pending::kMouse; break;
    case 0xDD: output_port_ &= static_cast<uint8_t>(~0x02); break;
    case 0xDF: output_port_ |= 0x02; break;
    case 0xE0: reply(0x00); break;
    default:
      // 0xF0-0xFF pulse the output port bits whose mask bit (3-0) is 0; bit 0 is RESET.
      if ((c & 0xF0) == 0xF0 && !(c & 0x01)) reset();
      break;
  }
}

void I8042Controller::write_output_port(uint8_t v) {
  output_port_ = v;
  if (!(v & 0x01)) reset();  // output port bit 0 low holds the processor in reset
}

void I8042Controller::data(uint8_t d) {
  const Pending p = pending_;
  pending_ = Pending::kKeyboard;
  switch (p) {
    case Pending::kCommandByte: ctr_ = d; break;
    case Pending::kOutputPort: write_output_port(d); break;
    case Pending::kOutputBuffer: reply(d); break;
    case Pending::kAuxOutputBuffer: reply(d, true); break;
    case Pending::kMouse:  // re-enables the auxiliary interface, as a keyboard write does
      ctr_ &= static_cast<uint8_t>(~kCtrAuxDisabled);
      mouse_.write(d);
      break;
    case Pending::kKeyboard:
      ctr_ &= static_cast<uint8_t>(~kCtrKbdDisabled);
      if (obf_ && out_from_keyboard_) obf_ = false;  // an unread reply is dropped
      keyboard_.write(d);
      break;
  }
}

void I8042Controller::refill() {
  while (!obf_) {
    if (reply_) {
      out_ = *reply_;
      reply_.reset();
      obf_ = true;
      out_from_keyboard_ = false;
      out_aux_ = reply_aux_;
      break;
    }
    if ((ctr_ & kCtrKbdDisabled) || !keyboard_.has_data()) {
      if (!(ctr_ & kCtrAuxDisabled) && mouse_.has_data()) {
        out_ = mouse_.read();
        obf_ = true;
        out_from_keyboard_ = false;
        out_aux_ = true;
      }
      break;
    }
    const uint8_t b = keyboard_.read();
    out_from_keyboard_ = true;
    out_aux_ = false;
    if (!(ctr_ & kCtrTranslate)) {
      out_ = b;
      obf_ = true;
      break;
    }
    if (b == 0xF0) {  // a break prefix: taken, the next byte's translation gets bit 7
      f0_seen_ = true;
      continue;
    }
    out_ = static_cast<uint8_t>(translate_set2_byte(b) | (f0_seen_ ? 0x80 : 0x00));
    f0_seen_ = false;
    obf_ = true;
  }
  update_irq();
}

void I8042Controller::update_irq() {
  const bool level = obf_ && !out_aux_ && (ctr_ & kCtrKbdInterrupt);
  if (level != irq_level_) {
    irq_level_ = level;
    if (irq_) irq_(level);
  }
  const bool aux_level = obf_ && out_aux_ && (ctr_ & kCtrAuxInterrupt);
  if (aux_level != aux_irq_level_) {
    aux_irq_level_ = aux_level;
    if (aux_irq_) aux_irq_(aux_level);
  }
}

bool I8042Controller::ready_for_key() const {
  return keyboard_.scanning() && !keyboard_.has_data() && !(ctr_ & kCtrKbdDisabled) && !obf_ &&
         !reply_;
}

bool I8042Controller::key(KeyId key, bool release) {
  const bool queued = keyboard_.key(key, release);
  refill();
  return queued;
}

void I8042Controller::apply_firmware_state() {
  // The BIOS's self test, its keyboard reset (FA AA, read and dropped) and command byte.
  system_flag_ = true;
  keyboard_.write(0xFF);
  while (keyboard_.has_data()) keyboard_.read();
  ctr_ = kFirmwareCtr;
  last_was_command_ = false;
  refill();
}

}  // namespace vmlab::machine
