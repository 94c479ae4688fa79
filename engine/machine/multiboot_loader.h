// MultibootLoader: boots a kernel the way a Multiboot 1 boot loader (GRUB legacy, or
// `qemu-system-i386 -kernel`) does.
//
// Specification: Multiboot Specification version 0.6.96 (GNU, 2009). Sections:
//   3.1  the header: magic 0x1BADB002, flags, checksum (magic + flags + checksum = 0),
//        32-bit aligned within the first 8192 bytes of the image; flag bits 0-15 are
//        requirements the loader must honour or refuse, bits 16-31 optional; bit 16 says
//        that the address fields (header_addr, load_addr, load_end_addr, bss_end_addr,
//        entry_addr: the "a.out kludge") describe where to load the image.
//   3.2  the machine state at entry: EAX = 0x2BADB002, EBX = the information structure.
//   3.3  the information structure.
//
// What this loader does:
//  - ELF32 i386 ET_EXEC images: every PT_LOAD segment is copied to its *physical* address
//    p_paddr (kernels linked at 0xC0100000 but loaded at 1 MiB rely on it) and the part
//    beyond p_filesz is zeroed (bss). The entry point is e_entry; if it falls inside a
//    segment's virtual range it is translated to the physical address, because paging is
//    off at entry.
//  - the a.out kludge (flag bit 16) is used whenever set, and is the only way to boot an
//    image that is not ELF.
//  - required flags: bit 0 (modules page-aligned: they always are) and bit 1 (memory
//    information: always given) are honoured; bit 2 (video mode) is accepted and ignored,
//    as QEMU does; any other required bit makes the load fail.
//  - the information structure, with the memory map, the module list, the command lines
//    and the boot loader name after it, goes in one area placed after the kernel and the
//    modules are loaded, where none of them lies: at kInfoAddr (0x9000) in conventional
//    memory as GRUB legacy leaves it, else on the lowest free page of conventional memory
//    from kLowestInfoAddr, else on the first page after the kernel and its modules (where
//    qemu-system-i386 -kernel puts it). So a kernel may have segments anywhere in RAM.
//    Flags: mem_lower/mem_upper (bit 0), cmdline (bit 2), mods (bit 3), mmap (bit 6),
//    boot_loader_name (bit 9, "vmlab").
//  - modules are loaded page-aligned after the kernel's last byte, in order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/machine/physical_memory.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

struct MultibootModule {
  std::string path;
  std::string cmdline;
};

class MultibootLoader {
 public:
  static constexpr uint32_t kHeaderMagic = 0x1BADB002;
  static constexpr uint32_t kBootMagic = 0x2BADB002;  // EAX at entry
  static constexpr uint32_t kSearchBytes = 8192;
  static constexpr uint32_t kInfoAddr = 0x9000;        // where it goes when that is free
  static constexpr uint32_t kLowestInfoAddr = 0x1000;  // above the interrupt vectors and BDA
  static constexpr uint32_t kMaxInfoBytes = 0x10000;   // the area, command lines included
  static constexpr uint32_t kInfoSize = 88;            // the structure up to the VBE fields
  static constexpr char kLoaderName[] = "vmlab";

  // Header flags (spec 3.1.2).
  static constexpr uint32_t kFlagPageAlign = 1u << 0;
  static constexpr uint32_t kFlagMemoryInfo = 1u << 1;
  static constexpr uint32_t kFlagVideoMode = 1u << 2;
  static constexpr uint32_t kFlagAoutKludge = 1u << 16;
  static constexpr uint32_t kSupportedRequired = kFlagPageAlign | kFlagMemoryInfo | kFlagVideoMode;

  // Information structure flags and offsets (spec 3.3).
  static constexpr uint32_t kInfoMemory = 1u << 0;
  static constexpr uint32_t kInfoCmdline = 1u << 2;
  static constexpr uint32_t kInfoMods = 1u << 3;
  static constexpr uint32_t kInfoMmap = 1u << 6;
  static constexpr uint32_t kInfoLoaderName = 1u << 9;
  static constexpr uint32_t kOffFlags = 0, kOffMemLower = 4, kOffMemUpper = 8, kOffCmdline = 16,
                            kOffModsCount = 20, kOffModsAddr = 24, kOffMmapLength = 44,
                            kOffMmapAddr = 48, kOffLoaderName = 64;
  // Memory map entry types.
  static constexpr uint32_t kMemoryAvailable = 1;
  static constexpr uint32_t kMemoryReserved = 2;
  // The conventional-memory layout of a PC: the EBDA below 640 KiB and the BIOS ROM.
  static constexpr uint32_t kEbdaStart = 0x9FC00;
  static constexpr uint32_t kConventionalEnd = 0xA0000;
  static constexpr uint32_t kBiosRomStart = 0xF0000;
  static constexpr uint32_t kHighMemory = 0x100000;

  // How the kernel was booted: Multiboot 1, or the Linux/x86 boot protocol
  // (engine/machine/linux_boot_loader.h; engine/machine/kernel_loader.h chooses).
  enum class Protocol : uint8_t { kMultiboot, kLinux };

  // One entry of the PC's memory map, as both protocols hand it over (Multiboot's mmap,
  // Linux's e820 table): the same map whichever boots the kernel.
  struct MemoryMapEntry {
    uint64_t base, len;
    uint32_t type;
  };
  static std::vector<MemoryMapEntry> memory_map(uint32_t ram_bytes);

  struct BootInfo {
    Protocol protocol = Protocol::kMultiboot;
    uint16_t boot_protocol_version = 0;  // Linux: the setup header's version (0x206)
    uint32_t entry = 0;
    uint32_t info_addr = 0;     // Multiboot information; Linux: boot_params
    uint32_t info_end = 0;      // one past the information area's last byte
    uint32_t kernel_start = 0;  // lowest physical byte loaded
    uint32_t kernel_end = 0;    // one past the highest (bss included)
    uint32_t loaded_end = 0;    // one past the last byte of the kernel or of any module
    uint32_t header_offset = 0;
    uint32_t header_flags = 0;
    bool aout_kludge = false;
  };

  // Reads a kernel image file whole, with the loader's error messages.
  static Result<std::vector<uint8_t>> read_kernel_file(const std::string& path);
  // Reads the kernel and modules from files; `path` names them in error messages.
  static Result<BootInfo> load_file(const std::string& path, const std::string& cmdline,
                                    const std::vector<MultibootModule>& modules,
                                    PhysicalMemory& memory);
  // The same for an image already in host memory; `name` stands for it in messages.
  static Result<BootInfo> load_image(std::span<const uint8_t> image, const std::string& name,
                                     const std::string& cmdline,
                                     const std::vector<MultibootModule>& modules,
                                     PhysicalMemory& memory);
};

}  // namespace vmlab::machine
