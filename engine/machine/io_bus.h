// IoBus: the 64 Ki port-I/O address space and the devices attached to it.
//
// Devices attach to port ranges; a range that overlaps one already attached is refused.
// A port with nothing behind it behaves as on the ISA bus: the data lines float high, so
// a read returns all ones (0xFF, 0xFFFF or 0xFFFFFFFF by size) and a write goes nowhere.
// Such accesses are counted and the last few ports remembered, because a guest touching
// an unassigned port is usually probing for hardware we do not model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/machine/io_device.h"
#include "engine/machine/io_observer.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

class IoBus {
 public:
  static constexpr size_t kRecentUnassigned = 8;

  IoBus();

  // Attaches `device` at ports [base, base + count); the device sees `first_offset` for
  // `base` (a chip whose ports are not contiguous, like the i8042 at 0x60 and 0x64, is
  // attached once per port with the offsets of one window). `name` is for error messages.
  Result<void> attach(uint16_t base, uint32_t count, IoDevice& device, std::string name,
                      uint16_t first_offset = 0);

  // Detaches the range that starts at `base` if `device` is behind it (a PCI function's
  // BAR that moved or was turned off); its ports read all ones again.
  void detach(uint16_t base, const IoDevice& device);

  uint32_t read(uint16_t port, unsigned size);
  void write(uint16_t port, unsigned size, uint32_t value);

  // One observer at a time; nullptr detaches.
  void set_observer(IoObserver* observer) { observer_ = observer; }
  // Memory-mapped devices report their accesses through the same observer.
  void notify_mmio(const MmioAccess& access) {
    if (observer_) observer_->on_mmio(access);
  }
  // So do disks, for each request they take (the ATA controller's commands).
  void notify_block_request(const BlockRequest& request) {
    if (observer_) observer_->on_block_request(request);
  }

  uint64_t unassigned_accesses() const { return unassigned_count_; }
  // Most recent last; at most kRecentUnassigned ports.
  std::vector<uint16_t> recent_unassigned_ports() const;

 private:
  struct Range {
    uint16_t base;
    uint32_t count;
    uint16_t first_offset;
    IoDevice* device;
    std::string name;
  };
  void record_unassigned(uint16_t port);

  std::vector<Range> ranges_;
  // Index into ranges_ plus one for every port; 0 = nothing attached.
  std::vector<uint16_t> port_map_;
  IoObserver* observer_ = nullptr;
  uint64_t unassigned_count_ = 0;
  std::array<uint16_t, kRecentUnassigned> recent_{};
};

}  // namespace vmlab::machine
