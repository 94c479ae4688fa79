#include "engine/machine/physical_memory.h"

#include <cstring>
#include <string>

namespace vmlab::machine {

Result<void> PhysicalMemory::validate_size(uint32_t mib) {
  if (mib < kMinMib) {
    return Error{"memory size " + std::to_string(mib) + " MiB is below the minimum of " +
                     std::to_string(kMinMib) + " MiB",
                 EINVAL};
  }
  if (mib > kMaxMib) {
    return Error{"memory size " + std::to_string(mib) + " MiB is above the maximum of " +
                     std::to_string(kMaxMib) +
                     " MiB (the top of the 4 GiB space is kept for devices and the monitor)",
                 EINVAL};
  }
  return {};
}

Result<PhysicalMemory> PhysicalMemory::create(uint32_t mib) {
  // Above kMaxMib only by a monitor's frames on top of the largest guest (the caller
  // checked the guest's part: MachineConfig::validate).
  const bool guest_and_monitor = mib > kMaxMib && mib <= kMaxMib + kMaxMonitorMib;
  if (auto r = validate_size(mib); !r && !guest_and_monitor) return r.error();
  const size_t size = size_t{mib} << 20;
  // calloc of a large block maps fresh zero pages from the host on demand.
  auto* data = static_cast<uint8_t*>(std::calloc(size, 1));
  if (data == nullptr) {
    return Error{"cannot allocate " + std::to_string(mib) + " MiB of guest memory on the host",
                 ENOMEM};
  }
  return PhysicalMemory(data, size);
}

void PhysicalMemory::write(uint32_t addr, std::span<const uint8_t> bytes) {
  if (!bytes.empty()) std::memcpy(data_.get() + addr, bytes.data(), bytes.size());
}

void PhysicalMemory::fill(uint32_t addr, uint32_t len, uint8_t value) {
  std::memset(data_.get() + addr, value, len);
}

void PhysicalMemory::write32(uint32_t addr, uint32_t value) {
  for (int i = 0; i < 4; ++i) data_.get()[addr + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t PhysicalMemory::read32(uint32_t addr) const {
  const uint8_t* p = data_.get() + addr;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace vmlab::machine
