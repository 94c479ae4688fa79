#include "engine/machine/ps2_keyboard.h"

namespace vmlab::machine {

void Ps2Keyboard::power_on() {
  clear();
  head_ = 0;
  expect_ = Expect::kCommand;
  reset_defaults();
  scanning_ = true;
  last_sent_ = kBatOk;
}

void Ps2Keyboard::reset_defaults() {
  set_ = 2;
  leds_ = 0;
  typematic_ = kDefaultTypematic;
}

void Ps2Keyboard::push(uint8_t b) {
  if (count_ == kQueueBytes) return;
  queue_[(head_ + count_) % kQueueBytes] = b;
  ++count_;
}

uint8_t Ps2Keyboard::read() {
  if (count_ == 0) return last_sent_;
  const uint8_t b = queue_[head_];
  head_ = static_cast<uint8_t>((head_ + 1) % kQueueBytes);
  --count_;
  last_sent_ = b;
  return b;
}

void Ps2Keyboard::write(uint8_t byte) {
  const Expect expect = expect_;
  expect_ = Expect::kCommand;
  if (expect != Expect::kCommand) {
    clear();
    switch (expect) {
      case Expect::kLeds:
        leds_ = byte & 0x07;
        push(kAck);
        break;
      case Expect::kTypematic:
        typematic_ = byte & 0x7F;
        push(kAck);
        break;
      case Expect::kScancodeSet:
        if (byte == 0) {
          push(kAck);
          push(set_);
        } else if (byte == 1 || byte == 2) {
          set_ = byte;
          push(kAck);
        } else {
          push(kResend);
        }
        break;
      case Expect::kCommand: break;
    }
    return;
  }
  if (byte == kResend) {  // the last byte again, keeping what is queued behind it
    if (count_ == kQueueBytes) return;
    head_ = static_cast<uint8_t>((head_ + kQueueBytes - 1) % kQueueBytes);
    queue_[head_] = last_sent_;
    ++count_;
    return;
  }
  clear();
  switch (byte) {
    case 0xFF:  // reset: acknowledge, then the basic assurance test's result
      reset_defaults();
      scanning_ = true;
      push(kAck);
      push(kBatOk);
      break;
    case 0xF6:  // set defaults
      reset_defaults();
      scanning_ = true;
      push(kAck);
      break;
    case 0xF5:  // default disable
      reset_defaults();
      scanning_ = false;
      push(kAck);
      break;
    case 0xF4:
      scanning_ = true;
      push(kAck);
      break;
    case 0xF3:
      expect_ = Expect::kTypematic;
      push(kAck);
      break;
    case 0xF2:  // identify: an MF II keyboard
      push(kAck);
      push(0xAB);
      push(0x83);
      break;
    case 0xF0:
      expect_ = Expect::kScancodeSet;
      push(kAck);
      break;
    case 0xEE: push(kEcho); break;
    case 0xED:
      expect_ = Expect::kLeds;
      push(kAck);
      break;
    default: push(kResend); break;
  }
}

bool Ps2Keyboard::key(KeyId key, bool release) {
  if (!scanning_) return false;
  uint8_t bytes[3];
  const size_t n = key_bytes(key, release, set_, bytes);
  if (count_ + n > kQueueBytes) {
    // Overrun: the last queued byte becomes the overrun code.
    if (count_ != 0) queue_[(head_ + count_ - 1) % kQueueBytes] = set_ == 1 ? 0xFF : 0x00;
    return false;
  }
  for (size_t i = 0; i < n; ++i) push(bytes[i]);
  return true;
}

void Ps2Keyboard::save(cpu::ByteWriter& w) const {
  w.bytes(queue_);
  w.u8(head_);
  w.u8(count_);
  w.u8(last_sent_);
  w.u8(static_cast<uint8_t>(expect_));
  w.boolean(scanning_);
  w.u8(set_);
  w.u8(leds_);
  w.u8(typematic_);
}

void Ps2Keyboard::load(cpu::ByteReader& r) {
  const auto q = r.bytes(kQueueBytes);
  if (q.size() == kQueueBytes) std::copy(q.begin(), q.end(), queue_.begin());
  head_ = r.u8_below(kQueueBytes);
  count_ = r.u8_below(kQueueBytes + 1);
  last_sent_ = r.u8();
  expect_ = static_cast<Expect>(r.u8_below(4));
  scanning_ = r.boolean();
  set_ = r.u8();
  if (set_ != 1 && set_ != 2) r.fail();
  leds_ = r.u8_below(8);
  typematic_ = r.u8_below(0x80);
}

}  // namespace vmlab::machine
