// PhysicalMemory: the machine's RAM, one contiguous range of machine frames starting at
// physical address 0.
//
// Sizes are whole MiB between kMinMib and kMaxMib. The upper bound keeps the top GiB of
// the 32-bit physical space free, as on a real PC, for memory-mapped devices and for the
// hypervisor hole the monitor maps there. The RAM starts zero-filled; the pages are
// obtained lazily from the host, so a large machine costs nothing until it is touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "engine/machine/result.h"

namespace vmlab::machine {

class PhysicalMemory {
 public:
  static constexpr uint32_t kMinMib = 4;
  static constexpr uint32_t kMaxMib = 3072;
  // A virtualization monitor's own frames lie above the guest's RAM in the same machine
  // (Mode::reserve_mib), so a machine may be this much larger than the largest guest.
  static constexpr uint32_t kMaxMonitorMib = 64;

  // Checks a size without allocating (used by MachineConfig::validate).
  static Result<void> validate_size(uint32_t mib);
  static Result<PhysicalMemory> create(uint32_t mib);

  uint32_t size_bytes() const { return static_cast<uint32_t>(size_); }
  uint32_t size_mib() const { return static_cast<uint32_t>(size_ >> 20); }
  std::span<uint8_t> span() { return {data_.get(), size_}; }
  std::span<const uint8_t> span() const { return {data_.get(), size_}; }

  // True when [addr, addr + len) lies entirely inside RAM.
  bool contains(uint64_t addr, uint64_t len) const { return addr + len <= size_; }
  // Host-side copies for loaders and tests; the range must be inside RAM.
  void write(uint32_t addr, std::span<const uint8_t> bytes);
  void fill(uint32_t addr, uint32_t len, uint8_t value);
  void write32(uint32_t addr, uint32_t value);
  uint32_t read32(uint32_t addr) const;
  uint8_t read8(uint32_t addr) const { return data_.get()[addr]; }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  PhysicalMemory(uint8_t* data, size_t size) : data_(data), size_(size) {}

  std::unique_ptr<uint8_t, FreeDeleter> data_;
  size_t size_ = 0;
};

}  // namespace vmlab::machine
