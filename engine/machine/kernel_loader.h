// Boots a kernel image the way `qemu-system-i386 -kernel` chooses how: a Multiboot 1
// header (valid checksum) in the first 8192 bytes makes it a Multiboot kernel
// (multiboot_loader.h); else the Linux boot protocol's "HdrS" at 0x202 makes it a bzImage
// (linux_boot_loader.h); else it is refused with the Multiboot loader's reason.
//
// vmlab's command line is "IMAGE ARGS", the image's path first, as QEMU hands it to a
// Multiboot kernel; a Linux kernel gets ARGS alone, as QEMU's -append gives it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/machine/multiboot_loader.h"
#include "engine/machine/physical_memory.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

// Which protocol boots `image`, as chosen above.
MultibootLoader::Protocol kernel_protocol(std::span<const uint8_t> image);

// The command line a Linux kernel named `name` gets from vmlab's "IMAGE ARGS": ARGS (the
// whole line when it does not start with the image's name).
std::string linux_command_line(const std::string& cmdline, const std::string& name);

// Loads `image` by its protocol; `modules` are Multiboot modules or the Linux initrd.
Result<MultibootLoader::BootInfo> load_kernel_image(std::span<const uint8_t> image,
                                                    const std::string& name,
                                                    const std::string& cmdline,
                                                    const std::vector<MultibootModule>& modules,
                                                    PhysicalMemory& memory);

}  // namespace vmlab::machine
