#include "engine/machine/machine_config.h"

#include "engine/machine/physical_memory.h"

namespace vmlab::machine {

Result<void> MachineConfig::validate() const {
  if (monitor_reserve_mib > PhysicalMemory::kMaxMonitorMib ||
      (monitor_reserve_mib != 0 && monitor_reserve_mib >= memory_mib)) {
    return Error{"a monitor reserve of " + std::to_string(monitor_reserve_mib) + " MiB in a " +
                     std::to_string(memory_mib) + " MiB machine is outside the supported 0-" +
                     std::to_string(PhysicalMemory::kMaxMonitorMib) + " MiB",
                 EINVAL};
  }
  if (auto r = PhysicalMemory::validate_size(memory_mib - monitor_reserve_mib); !r) return r;
  if (cpu_mhz < kMinCpuMhz || cpu_mhz > kMaxCpuMhz) {
    return Error{"CPU frequency " + std::to_string(cpu_mhz) + " MHz is outside the supported " +
                     std::to_string(kMinCpuMhz) + "-" + std::to_string(kMaxCpuMhz) + " MHz",
                 EINVAL};
  }
  bool used[2] = {false, false};
  for (const DiskSpec& d : disks) {
    if (d.index > 1) {
      return Error{"disk index " + std::to_string(d.index) +
                       " is outside 0-1 (the primary ATA channel's master and slave)",
                   EINVAL};
    }
    if (used[d.index]) {
      return Error{"two disks at index " + std::to_string(d.index), EINVAL};
    }
    used[d.index] = true;
  }
  return {};
}

}  // namespace vmlab::machine
