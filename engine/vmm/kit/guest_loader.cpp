#include "engine/vmm/kit/guest_loader.h"

#include <algorithm>
#include <cstring>

#include "engine/machine/kernel_loader.h"
#include "engine/machine/mp_table.h"
#include "engine/machine/physical_memory.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

machine::Result<machine::MultibootLoader::BootInfo> load_multiboot_guest(
    Vm& vm, const P2m& p2m, std::span<const uint8_t> image, const std::string& name, GuestPae pae) {
  auto staging = machine::PhysicalMemory::create(vm.guest_mib());
  if (!staging) return staging.error();
  const auto& config = vm.machine().config();
  // Machine::write_firmware_tables with the virtual CPU's leaf 1: a monitor without PAE
  // clears it there too, so the BIOS's table and the guest's CPUID agree.
  uint32_t tables_end = 0;
  if (config.local_apic && staging.value().contains(machine::mp_table::kFloatingPointer, 0x1000)) {
    const auto leaf1 = virtual_cpuid(vm.machine().cpu(), 1, pae);
    tables_end = machine::mp_table::kConfigTable +
                 machine::write_mp_table(staging.value(), leaf1[0], leaf1[3]);
  }
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
