// Loading a guest behind a P2M: the kernel is loaded into a staging copy of the guest's
// physical memory by the ordinary kernel loader (engine/machine/kernel_loader.h: Multiboot
// or the Linux boot protocol, chosen as QEMU chooses; so the guest sees exactly what native
// mode gives it), then every guest frame is copied to its machine frame.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/machine/multiboot_loader.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/kit/virtual_cpuid.h"

namespace vmlab::vmm {

class Vm;

// Loads `image` for a guest of the Vm's guest RAM size with the machine's configured
// command line and modules, and copies it into machine memory through `p2m`. The boot
// info's addresses (entry, info structure) are guest-physical. The MP table's processor
// entry carries the virtual CPU's CPUID leaf 1 (virtual_cpuid.h, with `pae`), as the
// guest's BIOS would have read it.
machine::Result<machine::MultibootLoader::BootInfo> load_multiboot_guest(
    Vm& vm, const P2m& p2m, std::span<const uint8_t> image, const std::string& name, GuestPae pae);

}  // namespace vmlab::vmm
