// LinuxBootLoader: boots a Linux/x86 boot-protocol image (a bzImage: Debian's i386
// kernels, memtest86+) the way a boot loader using the protocol's 32-bit entry does.
//
// Specification: the Linux kernel's Documentation/arch/x86/boot.rst ("The Linux/x86 Boot
// Protocol") and zero-page.rst. Facts used:
//  - the image starts with the real-mode setup: 1 + setup_sects 512-byte sectors
//    (setup_sects at 0x1F1; 0 means 4); the protected-mode kernel follows it in the file.
//  - the setup header starts at 0x1F1; "HdrS" at 0x202 marks protocol 2.00 and later,
//    the protocol version is the word at 0x206, boot_flag 0xAA55 is at 0x1FE, and the
//    header ends at 0x202 + the byte at 0x201 (the jump's offset).
//  - loadflags (0x211) bit 0, LOADED_HIGH: the protected-mode kernel goes at 1 MiB (a
//    bzImage); without it (a zImage) it would go at 0x10000, which this loader refuses.
//  - the loader writes type_of_loader (0x210: 0xFF, a loader with no assigned id, so
//    ext_loader_ver 0x226 and ext_loader_type 0x227 are 0), cmd_line_ptr (0x228,
//    protocol 2.02), ramdisk_image and ramdisk_size (0x218, 0x21C) with the initrd below
//    initrd_addr_max (0x22C) and below the end of RAM; the command line may hold at most
//    cmdline_size (0x238, protocol 2.06; 255 before) bytes.
//  - the 32-bit boot protocol: boot_params (the "zero page", 4 KiB) zeroed, the setup
//    header copied into it at 0x1F1, the e820 map at 0x2D0 (20-byte entries) with its
//    count at 0x1E8, alt_mem_k at 0x1E0; entry at the loaded kernel's start in 32-bit
//    protected mode, paging off, interrupts off, a GDT with flat 4 GiB __BOOT_CS (0x10,
//    execute/read) and __BOOT_DS (0x18, read/write), CS = 0x10, DS = ES = SS = 0x18,
//    ESI = boot_params, EBP = EDI = EBX = 0.
//  - init_size (0x260, protocol 2.10) bytes from pref_address (0x258) (from the 1 MiB load
//    address when that is higher for a relocatable kernel, 0x234) must be RAM: the
//    decompressor works there. The loader refuses a guest too small for it.
//
// Where things go (as qemu-system-i386 -kernel places them for a protocol 2.02+ bzImage):
// boot_params at 0x10000, the command line at 0x20000, the kernel at 1 MiB, the initrd at
// the top of what the kernel may address. The entry state above is reached by a boot stub
// of 13 instructions the loader writes beside boot_params with its GDT (kStubAddr): the
// guest's own code loads the GDT and the segments, so the state is built through the
// same virtualized instructions in every mode, as QEMU's own linuxboot option ROM does it
// in guest code. The machine starts at the stub with the Multiboot register state (the
// stub overwrites every register the protocol names).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/machine/multiboot_loader.h"
#include "engine/machine/physical_memory.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

class LinuxBootLoader {
 public:
  // Setup header offsets in the image and in boot_params (boot.rst, "The real-mode kernel
  // header"; zero-page.rst).
  static constexpr uint32_t kSetupSects = 0x1F1, kBootFlag = 0x1FE, kJump = 0x200,
                            kHeaderMagicOff = 0x202, kVersion = 0x206, kTypeOfLoader = 0x210,
                            kLoadFlags = 0x211, kCode32Start = 0x214, kRamdiskImage = 0x218,
                            kRamdiskSize = 0x21C, kExtLoaderVer = 0x226, kExtLoaderType = 0x227,
                            kCmdLinePtr = 0x228, kInitrdAddrMax = 0x22C, kKernelAlignment = 0x230,
                            kRelocatable = 0x234, kCmdlineSize = 0x238, kPrefAddress = 0x258,
                            kInitSize = 0x260;
  static constexpr uint32_t kAltMemK = 0x1E0, kE820Entries = 0x1E8, kE820Table = 0x2D0;
  static constexpr uint32_t kE820Max = 128;             // entries the table holds
  static constexpr uint32_t kHeaderMagic = 0x53726448;  // "HdrS"
  static constexpr uint16_t kBootFlagValue = 0xAA55;
  static constexpr uint16_t kMinVersion = 0x0202;  // cmd_line_ptr
  static constexpr uint8_t kLoadedHigh = 0x01;
  static constexpr uint8_t kLoaderIdUndefined = 0xFF;

  // The layout (QEMU's for a protocol 2.02+ bzImage).
  static constexpr uint32_t kBootParams = 0x10000;
  static constexpr uint32_t kBootParamsSize = 0x1000;
  static constexpr uint32_t kStubAddr = 0x11000;  // the boot GDT, then the stub
  static constexpr uint32_t kCmdlineAddr = 0x20000;
  static constexpr uint32_t kKernelAddr = 0x100000;
  static constexpr uint16_t kBootCs = 0x10, kBootDs = 0x18;

  // True when the image has the boot protocol's "HdrS" signature at 0x202.
  static bool has_setup_header(std::span<const uint8_t> image);

  // Loads `image` (`name` stands for it in messages) with `cmdline` as the kernel command
  // line and `initrds` (at most one) as the initrd. The result's entry is the boot stub,
  // info_addr is boot_params, protocol is kLinux.
  static Result<MultibootLoader::BootInfo> load_image(std::span<const uint8_t> image,
                                                      const std::string& name,
                                                      const std::string& cmdline,
                                                      const std::vector<MultibootModule>& initrds,
                                                      PhysicalMemory& memory);
};

}  // namespace vmlab::machine
