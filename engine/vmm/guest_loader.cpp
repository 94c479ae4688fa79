#include "engine/vmm/guest_loader.h"

#include <cstring>

#include "engine/machine/physical_memory.h"
#include "engine/vmm/vm.h"

namespace vmlab::vmm {

machine::Result<machine::MultibootLoader::BootInfo> load_multiboot_guest(
    Vm& vm, const P2m& p2m, std::span<const uint8_t> image, const std::string& name) {
  auto staging = machine::PhysicalMemory::create(vm.guest_mib());
  if (!staging) return staging.error();
  const auto& config = vm.machine().config();
  auto info = machine::MultibootLoader::load_image(image, name, config.cmdline, config.modules,
                                                   staging.value());
  if (!info) return info.error();
  std::span<uint8_t> machine_ram = vm.machine().memory().span();
  const std::span<const uint8_t> guest_ram = staging.value().span();
  for (uint32_t gfn = 0; gfn < p2m.guest_frames(); ++gfn) {
    const uint64_t to = uint64_t{p2m.machine_frame(gfn)} * P2m::kPageSize;
    std::memcpy(machine_ram.data() + to, guest_ram.data() + uint64_t{gfn} * P2m::kPageSize,
                P2m::kPageSize);
  }
  vm.machine().cpu().notify_phys_write(0, static_cast<uint32_t>(machine_ram.size()));
  return info;
}

}  // namespace vmlab::vmm
