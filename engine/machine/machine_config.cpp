#include "engine/machine/machine_config.h"

#include "engine/machine/physical_memory.h"

namespace vmlab::machine {

Result<void> MachineConfig::validate() const {
  if (auto r = PhysicalMemory::validate_size(memory_mib); !r) return r;
  if (cpu_mhz < kMinCpuMhz || cpu_mhz > kMaxCpuMhz) {
    return Error{"CPU frequency " + std::to_string(cpu_mhz) + " MHz is outside the supported " +
                     std::to_string(kMinCpuMhz) + "-" + std::to_string(kMaxCpuMhz) + " MHz",
                 EINVAL};
  }
  return {};
}

}  // namespace vmlab::machine
