#include "engine/machine/ps2_mouse.h"

#include <algorithm>

namespace vmlab::machine {

void Ps2Mouse::push(uint8_t b) {
  if (count_ == kQueueBytes) return;
  queue_[(head_ + count_) % kQueueBytes] = b;
  ++count_;
}

uint8_t Ps2Mouse::read() {
  if (count_ == 0) return 0;
  const uint8_t b = queue_[head_];
  head_ = static_cast<uint8_t>((head_ + 1) % kQueueBytes);
  --count_;
  return b;
}

void Ps2Mouse::reset_values() {
  sample_rate_ = 100;
  resolution_ = 2;
  status_ = 0;
}

void Ps2Mouse::sample_rate(uint8_t rate) {
  sample_rate_ = rate;
  switch (knock_) {
    case 0: knock_ = rate == 200 ? 1 : 0; break;
    case 1: knock_ = rate == 100 ? 2 : rate == 200 ? 3 : 0; break;
    default:
      if (rate == 80) id_ = knock_ == 2 ? 3 : 4;
      knock_ = 0;
      break;
  }
}

void Ps2Mouse::write(uint8_t byte) {
  const Expect expect = expect_;
  expect_ = Expect::kCommand;
  if (expect == Expect::kSampleRate) {
    clear();
    sample_rate(byte);
    push(kAck);
    return;
  }
  if (expect == Expect::kResolution) {
    clear();
    resolution_ = byte;
    push(kAck);
    return;
  }
  if (wrap_ && byte != 0xEC && byte != 0xFF) {
    push(byte);  // wrap mode: echoed
    return;
  }
  command(byte);
}

void Ps2Mouse::command(uint8_t byte) {
  switch (byte) {
    case 0xFF:
      clear();
      reset_values();
      id_ = 0;
      wrap_ = false;
      push(kAck);
      push(kBatOk);
      push(id_);
      return;
    case 0xF6:
      clear();
      reset_values();
      push(kAck);
      return;
    case 0xF5: status_ &= static_cast<uint8_t>(~kStatusReporting); break;
    case 0xF4: status_ |= kStatusReporting; break;
    case 0xF3: expect_ = Expect::kSampleRate; break;
    case 0xE8: expect_ = Expect::kResolution; break;
    case 0xF2:
      clear();
      push(kAck);
      push(id_);
      return;
    case 0xF0: status_ |= kStatusRemote; break;
    case 0xEA: status_ &= static_cast<uint8_t>(~kStatusRemote); break;
    case 0xE7: status_ |= kStatusScale21; break;
    case 0xE6: status_ &= static_cast<uint8_t>(~kStatusScale21); break;
    case 0xE9:
      clear();
      push(kAck);
      push(status_);
      push(resolution_);
      push(sample_rate_);
      return;
    case 0xEB:
      clear();
      push(kAck);
      push(static_cast<uint8_t>(0x08 | (status_ & 0x07)));  // bit 3 always set, no movement
      push(0);
      push(0);
      if (id_ == 3 || id_ == 4) push(0);
      return;
    case 0xEE: wrap_ = true; break;
    case 0xEC: wrap_ = false; break;
    default: return;  // not a command: ignored, as QEMU does
  }
  clear();
  push(kAck);
}

void Ps2Mouse::save(cpu::ByteWriter& w) const {
  w.bytes(queue_);
  w.u8(head_);
  w.u8(count_);
  w.u8(static_cast<uint8_t>(expect_));
  w.u8(status_);
  w.u8(resolution_);
  w.u8(sample_rate_);
  w.u8(id_);
  w.boolean(wrap_);
  w.u8(knock_);
}

void Ps2Mouse::load(cpu::ByteReader& r) {
  const auto q = r.bytes(kQueueBytes);
  if (q.size() == kQueueBytes) std::copy(q.begin(), q.end(), queue_.begin());
  head_ = r.u8_below(kQueueBytes);
  count_ = r.u8_below(kQueueBytes + 1);
  expect_ = static_cast<Expect>(r.u8_below(3));
  status_ = r.u8();
  if (status_ & ~(kStatusRemote | kStatusReporting | kStatusScale21)) r.fail();
  resolution_ = r.u8();
  sample_rate_ = r.u8();
  id_ = r.u8();
  if (id_ != 0 && id_ != 3 && id_ != 4) r.fail();
  wrap_ = r.boolean();
  knock_ = r.u8_below(4);
}

}  // namespace vmlab::machine
