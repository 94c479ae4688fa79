#include "engine/machine/linux_boot_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/machine/bios_data_area.h"
#include "engine/machine/host_file.h"
#include "engine/machine/image_bytes.h"

namespace vmlab::machine {

namespace {

using LB = LinuxBootLoader;
using BootInfo = MultibootLoader::BootInfo;

using image_bytes::format;
using image_bytes::get16;
using image_bytes::get32;
using image_bytes::get64;

Error bad(const std::string& name, const std::string& what) {
  return Error{name + ": " + what, ENOEXEC};
}

std::string version_text(uint16_t v) {
  return format("%u.%02u", v >> 8, v & 0xFF);
}

// The boot stub: the 32-bit entry state of boot.rst built by guest code (see the header).
// Its GDT is at kStubAddr (null, unused, __BOOT_CS, __BOOT_DS), the GDT pseudo-descriptor
// after it, then the code.
constexpr uint32_t kGdtPointer = LB::kStubAddr + 0x20;
constexpr uint32_t kStubCode = LB::kStubAddr + 0x30;
constexpr uint64_t kFlatCode = 0x00CF9B000000FFFFull;  // base 0, 4 GiB, execute/read, accessed
constexpr uint64_t kFlatData = 0x00CF93000000FFFFull;  // base 0, 4 GiB, read/write, accessed

void put_u32(std::vector<uint8_t>& code, uint32_t v) {
  for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void write_stub(PhysicalMemory& memory, uint32_t entry) {
  memory.fill(LB::kStubAddr, 0x30, 0);
  const uint64_t gdt[4] = {0, 0, kFlatCode, kFlatData};
  for (unsigned i = 0; i < 4; ++i) {
    memory.write32(LB::kStubAddr + 8 * i, static_cast<uint32_t>(gdt[i]));
    memory.write32(LB::kStubAddr + 8 * i + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  const uint8_t pointer[6] = {sizeof gdt - 1,
                              0,
                              LB::kStubAddr & 0xFF,
                              (LB::kStubAddr >> 8) & 0xFF,
                              (LB::kStubAddr >> 16) & 0xFF,
                              LB::kStubAddr >> 24};
  memory.write(kGdtPointer, pointer);
  std::vector<uint8_t> c;
  c.push_back(0xFA);                      // cli
  c.insert(c.end(), {0x0F, 0x01, 0x15});  // lgdt [kGdtPointer]
  put_u32(c, kGdtPointer);
  const uint32_t after_jump = kStubCode + static_cast<uint32_t>(c.size()) + 7;
  c.push_back(0xEA);  // ljmp __BOOT_CS:after_jump
  put_u32(c, after_jump);
  c.insert(c.end(), {LB::kBootCs, 0});
  c.push_back(0xB8);  // mov eax, __BOOT_DS
  put_u32(c, LB::kBootDs);
  for (uint8_t sreg_modrm : {0xD8, 0xC0, 0xD0, 0xE0, 0xE8})  // mov ds/es/ss/fs/gs, ax
    c.insert(c.end(), {0x8E, sreg_modrm});
  c.push_back(0xBE);  // mov esi, boot_params
  put_u32(c, LB::kBootParams);
  c.insert(c.end(), {0x31, 0xDB, 0x31, 0xFF, 0x31, 0xED});  // xor ebx, edi, ebp
  c.push_back(0xEA);                                        // ljmp __BOOT_CS:entry
  put_u32(c, entry);
  c.insert(c.end(), {LB::kBootCs, 0});
  memory.write(kStubCode, c);
}

}  // namespace

bool LinuxBootLoader::has_setup_header(std::span<const uint8_t> image) {
  return image.size() >= kHeaderMagicOff + 4 && get32(image, kHeaderMagicOff) == kHeaderMagic;
}

Result<BootInfo> LinuxBootLoader::load_image(std::span<const uint8_t> image,
                                             const std::string& name, const std::string& cmdline,
                                             const std::vector<MultibootModule>& initrds,
                                             PhysicalMemory& memory) {
  if (!has_setup_header(image)) {
    return bad(name, "no Linux boot-protocol setup header (\"HdrS\" at offset 0x202)");
  }
  // Every field below is the image's, so every one is checked before it is used.
  const uint32_t setup_sects = image[kSetupSects] == 0 ? 4 : image[kSetupSects];
  const uint64_t setup_bytes = (uint64_t{setup_sects} + 1) * 512;
  if (setup_bytes >= image.size()) {
    return bad(name,
               format("setup_sects %u puts the protected-mode kernel at file offset "
                      "0x%llX, at or past the end of the file (%zu bytes)",
                      setup_sects, static_cast<unsigned long long>(setup_bytes), image.size()));
  }
  // From here the image holds at least 1024 bytes: every header field read below lies in it.
  if (get16(image, kBootFlag) != kBootFlagValue) {
    return bad(name, format("boot_flag at 0x1FE is 0x%04X, not 0xAA55", get16(image, kBootFlag)));
  }
  const uint16_t version = get16(image, kVersion);
  if (version < kMinVersion) {
    return bad(name, format("Linux boot protocol %s is older than %s (the first with "
                            "cmd_line_ptr), which this loader needs",
                            version_text(version).c_str(), version_text(kMinVersion).c_str()));
  }
  const uint8_t loadflags = image[kLoadFlags];
  if ((loadflags & kLoadedHigh) == 0) {
    return bad(name,
               "a zImage (loadflags bit 0, LOADED_HIGH, clear: the kernel would load at "
               "0x10000); only bzImages, loaded at 1 MiB, are supported");
  }
  const uint32_t header_end = kHeaderMagicOff + image[kJump + 1];
  const uint64_t kernel_size = image.size() - setup_bytes;
  const uint64_t kernel_end = kKernelAddr + kernel_size;
  const uint32_t ram = memory.size_bytes();
  if (!memory.contains(kKernelAddr, kernel_size)) {
    return Error{name + format(": the protected-mode kernel (%llu bytes at 1 MiB) does not "
                               "fit in RAM (%u MiB)",
                               static_cast<unsigned long long>(kernel_size), memory.size_mib()),
                 ENOEXEC};
  }
  // Where the decompressor works (protocol 2.10): init_size bytes from pref_address, or
  // for a relocatable kernel from the load address rounded up to kernel_alignment when
  // that is higher (arch/x86/boot/compressed/head_32.S).
  uint64_t work_end = kernel_end;
  if (version >= 0x020A) {
    uint64_t base = get64(image, kPrefAddress);
    const uint32_t align = get32(image, kKernelAlignment);
    if (image[kRelocatable] != 0) {
      if (align == 0 || (align & (align - 1)) != 0) {
        return bad(name, format("kernel_alignment 0x%X (0x230) of a relocatable kernel is not "
                                "a power of two",
                                align));
      }
      base = std::max<uint64_t>(base, (uint64_t{kKernelAddr} + align - 1) & ~uint64_t{align - 1});
    }
    const uint64_t end = base + get32(image, kInitSize);
    if (base >= (uint64_t{1} << 32) || end > ram) {
      return Error{name + format(": the kernel decompresses into 0x%08llX-0x%08llX "
                                 "(pref_address 0x258, init_size 0x260), beyond RAM "
                                 "(%u MiB); the guest needs %llu MiB of RAM",
                                 static_cast<unsigned long long>(base),
                                 static_cast<unsigned long long>(end - 1), memory.size_mib(),
                                 static_cast<unsigned long long>((end + (1 << 20) - 1) >> 20)),
                   ENOMEM};
    }
    work_end = std::max(work_end, end);
  }
  const uint64_t cmdline_max = version >= 0x0206 ? get32(image, kCmdlineSize) : 255;
  if (cmdline.size() > cmdline_max ||
      kCmdlineAddr + cmdline.size() + 1 > MultibootLoader::kEbdaStart) {
    return Error{name + format(": the command line (%zu bytes) is longer than the kernel "
                               "accepts (cmdline_size %llu)",
                               cmdline.size(), static_cast<unsigned long long>(cmdline_max)),
                 E2BIG};
  }
  if (initrds.size() > 1) {
    return Error{name + format(": a Linux kernel takes one initrd (%zu given)", initrds.size()),
                 EINVAL};
  }

  // What the BIOS leaves in the BDA, then the kernel.
  write_bios_data_area(memory);
  memory.write(kKernelAddr, image.subspan(static_cast<size_t>(setup_bytes)));
  BootInfo info;
  info.protocol = MultibootLoader::Protocol::kLinux;
  info.boot_protocol_version = version;
  info.header_offset = kSetupSects;
  info.kernel_start = kKernelAddr;
  info.kernel_end = static_cast<uint32_t>(kernel_end);
  info.loaded_end = info.kernel_end;

  uint32_t ramdisk_image = 0, ramdisk_size = 0;
  if (!initrds.empty()) {
    const MultibootModule& initrd = initrds.front();
    // Its string is the whole --initrd entry, the file name first (Multiboot's): anything
    // after the name would be arguments, which an initrd cannot take.
    if (!initrd.cmdline.empty() && initrd.cmdline != initrd.path) {
      return Error{
          initrd.path + ": a Linux initrd takes no arguments (got '" + initrd.cmdline + "')",
          EINVAL};
    }
    // The highest page-aligned place below initrd_addr_max and the end of RAM (as QEMU
    // places it), above the kernel and the decompressor's work area.
    const uint64_t addr_max = version >= 0x0203 ? get32(image, kInitrdAddrMax) : 0x37FFFFFF;
    const uint64_t top = std::min<uint64_t>(addr_max + 1, ram);
    const uint64_t room = top > work_end ? top - work_end : 0;
    auto bytes = read_host_file(initrd.path, "the initrd", room);
    if (!bytes) return bytes.error();
    const uint64_t size = bytes.value().size();
    const uint64_t at = (top - size) & ~uint64_t{0xFFF};
    if (size > room || at < work_end) {
      return Error{initrd.path + format(": the initrd (%llu bytes) does not fit between the "
                                        "kernel's end 0x%08llX and 0x%08llX",
                                        static_cast<unsigned long long>(size),
                                        static_cast<unsigned long long>(work_end),
                                        static_cast<unsigned long long>(top)),
                   ENOMEM};
    }
    memory.write(static_cast<uint32_t>(at), bytes.value());
    ramdisk_image = static_cast<uint32_t>(at);
    ramdisk_size = static_cast<uint32_t>(size);
    info.loaded_end = std::max(info.loaded_end, static_cast<uint32_t>(at + size));
  }

  // boot_params: zeroed, the setup header copied in, then the loader's fields.
  memory.fill(kBootParams, kBootParamsSize, 0);
  memory.write(kBootParams + kSetupSects, image.subspan(kSetupSects, header_end - kSetupSects));
  const auto put8 = [&](uint32_t off, uint8_t v) { memory.write(kBootParams + off, {&v, 1}); };
  const auto put16 = [&](uint32_t off, uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
    memory.write(kBootParams + off, b);
  };
  const auto put32 = [&](uint32_t off, uint32_t v) { memory.write32(kBootParams + off, v); };
  // screen_info (zero-page.rst 0x000), as a VGA BIOS in 80x25 colour text mode 3 leaves it.
  put8(0x06, 3);    // orig_video_mode
  put8(0x07, 80);   // orig_video_cols
  put8(0x0E, 25);   // orig_video_lines
  put8(0x0F, 1);    // orig_video_isVGA: VGA text
  put16(0x10, 16);  // orig_video_points: character height
  put8(kTypeOfLoader, kLoaderIdUndefined);
  put8(kExtLoaderVer, 0);
  put8(kExtLoaderType, 0);
  put32(kCode32Start, kKernelAddr);
  put32(kCmdLinePtr, kCmdlineAddr);
  put32(kRamdiskImage, ramdisk_image);
  put32(kRamdiskSize, ramdisk_size);
  put32(kAltMemK, (ram - kKernelAddr) / 1024);
  const auto map = MultibootLoader::memory_map(ram);
  for (size_t i = 0; i < map.size(); ++i) {
    const uint32_t at = kBootParams + kE820Table + static_cast<uint32_t>(i) * 20;
    memory.write32(at, static_cast<uint32_t>(map[i].base));
    memory.write32(at + 4, static_cast<uint32_t>(map[i].base >> 32));
    memory.write32(at + 8, static_cast<uint32_t>(map[i].len));
    memory.write32(at + 12, static_cast<uint32_t>(map[i].len >> 32));
    memory.write32(at + 16, map[i].type);
  }
  put8(kE820Entries, static_cast<uint8_t>(map.size()));
  memory.write(kCmdlineAddr,
               {reinterpret_cast<const uint8_t*>(cmdline.c_str()), cmdline.size() + 1});
  write_stub(memory, kKernelAddr);
  info.entry = kStubCode;
  info.info_addr = kBootParams;
  info.info_end = kCmdlineAddr + static_cast<uint32_t>(cmdline.size()) + 1;
  return info;
}

}  // namespace vmlab::machine
