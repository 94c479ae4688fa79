// The Vm's own saved state (docs/snapshots.md, "Loading a snapshot"): the recorder's counters
// and sequence number, the hardware observer's tally of sensitive instructions.
#include "engine/vmm/core/hardware_observer.h"
#include "engine/vmm/core/recorder.h"

namespace vmlab::vmm {

void Recorder::save(cpu::ByteWriter& w) const {
  w.u32(static_cast<uint32_t>(kNumEventKinds));
  for (size_t i = 0; i < kNumEventKinds; ++i) {
    w.u64(counters_.count[i]);
    w.u64(counters_.cycles[i]);
  }
  w.u64(seq_);
}

void Recorder::load(cpu::ByteReader& r) {
  // Another taxonomy (another vmlab) is refused, not mapped.
  if (r.u32() != kNumEventKinds) {
    r.fail();
    return;
  }
  EventCounters c;
  for (size_t i = 0; i < kNumEventKinds; ++i) {
    c.count[i] = r.u64();
    c.cycles[i] = r.u64();
  }
  const uint64_t seq = r.u64();
  if (seq != c.total_count()) r.fail();  // every recorded event was counted once
  if (r.failed()) return;
  counters_ = c;
  seq_ = seq;
}

void HardwareObserver::save(cpu::ByteWriter& w) const {
  for (const Sensitive& s : sensitive_) {
    w.u16(s.opcode);
    // ModRM.reg (0-7) and the ring in one byte, the ring in bits 4-5 (a file written before
    // the ring was kept reads ring 0 there).
    w.u8(static_cast<uint8_t>((s.reg & 7) | (s.cpl & 3) << 4));
    w.u32(s.eip);
  }
  w.u64(sensitive_seen_);
}

void HardwareObserver::load(cpu::ByteReader& r) {
  for (Sensitive& s : sensitive_) {
    s.opcode = r.u16();
    const uint8_t reg_and_ring = r.u8();
    s.reg = reg_and_ring & 7;
    s.cpl = reg_and_ring >> 4 & 3;
    s.eip = r.u32();
  }
  sensitive_seen_ = r.u64();
}

}  // namespace vmlab::vmm
