#include "engine/vmm/kit/guest_loader.h"

#include <algorithm>
#include <cstring>

#include "engine/machine/kernel_loader.h"
#include "engine/machine/physical_memory.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

machine::Result<machine::MultibootLoader::BootInfo> load_multiboot_guest(
    Vm& vm, const P2m& p2m, std::span<const uint8_t> image, const std::string& name) {
  auto staging = machine::PhysicalMemory::create(vm.guest_mib());
  if (!staging) return staging.error();
  const auto& config = vm.machine().config();
  const uint32_t tables_end = vm.machine().write_firmware_tables(staging.value());
  auto info =
      machine::load_kernel_image(image, name, config.cmdline, config.modules, staging.value());
  if (!info) return info.error();
  // The loader writes only the BIOS data area, the firmware tables, the information area,
  // the kernel and the modules; every other guest frame is still zero, as machine RAM starts, so
  // only the span from frame 0 (the BDA) to the last of them is copied (copying all of guest RAM
  // would touch every host page of a large guest at each boot).
  std::span<uint8_t> machine_ram = vm.machine().memory().span();
  const std::span<const uint8_t> guest_ram = staging.value().span();
  const uint32_t hi = std::min<uint32_t>(
      p2m.guest_frames(), (std::max({info.value().info_end, info.value().loaded_end, tables_end}) +
                           P2m::kPageSize - 1) /
                              P2m::kPageSize);
  for (uint32_t gfn = 0; gfn < hi; ++gfn) {
    const uint64_t to = uint64_t{p2m.machine_frame(gfn)} * P2m::kPageSize;
    std::memcpy(machine_ram.data() + to, guest_ram.data() + uint64_t{gfn} * P2m::kPageSize,
                P2m::kPageSize);
  }
  vm.machine().cpu().notify_phys_write(0, static_cast<uint32_t>(machine_ram.size()));
  return info;
}

}  // namespace vmlab::vmm
