// Machine::save_state and Machine::load_state (machine.h, docs/snapshots.md).
#include "engine/machine/machine.h"

namespace vmlab::machine {
namespace {
// 2: the IDE bus master and the ATA controller's DMA state. 3: the 8042's keyboard and the
// key script's position. 4: the PIIX3's ISA bridge (00:01.0). 5: the 8042's mouse and the
// I/O APIC.
constexpr uint8_t kStateVersion = 5;
}  // namespace

void Machine::save_state(cpu::ByteWriter& w) const {
  w.u8(kStateVersion);
  pic_.save(w);
  pit_.save(w);
  port_b_.save(w);
  uart_.save(w);
  exit_port_.save(w);
  post_.save(w);
  i8042_.save(w);
  keys_.save(w);
  rtc_.save(w);
  fw_cfg_.save(w);
  apic_.save(w);
  ioapic_.save(w);
  cga_.save(w);
  pci_.save(w);
  isa_bridge_.save(w);
  ata_.save(w);
  bus_master_.save(w);
  console_.save(w);
  input_.save(w);
  w.boolean(in_slice_);
  w.u64(slice_end_instructions_);
  w.u64(slice_end_units_);
  w.boolean(device_stop_.has_value());
  w.u8(static_cast<uint8_t>(device_stop_.value_or(StopReason::kExitPort)));
  w.string(device_stop_message_);
  w.u64(idle_cycles_);
  w.u64(instructions_at_last_halt_);
}

bool Machine::load_state(cpu::ByteReader& r) {
  if (final_.has_value() || r.u8() != kStateVersion) return false;
  pic_.load(r);
  pit_.load(r);
  port_b_.load(r);
  uart_.load(r);
  exit_port_.load(r);
  post_.load(r);
  i8042_.load(r);
  keys_.load(r);
  rtc_.load(r);
  fw_cfg_.load(r);
  apic_.load(r);
  ioapic_.load(r);
  cga_.load(r);
  pci_.load(r);
  isa_bridge_.load(r);
  ata_.load(r);
  bus_master_.load(r);
  console_.load(r);
  input_.load(r);
  in_slice_ = r.boolean();
  slice_end_instructions_ = r.u64();
  slice_end_units_ = r.u64();
  const bool stop = r.boolean();
  const auto reason =
      static_cast<StopReason>(r.u8_below(static_cast<unsigned>(StopReason::kStopRequested) + 1));
  device_stop_.reset();
  if (stop) device_stop_ = reason;
  device_stop_message_ = r.string(4096);
  idle_cycles_ = r.u64();
  instructions_at_last_halt_ = r.u64();
  return !r.failed();
}

}  // namespace vmlab::machine
