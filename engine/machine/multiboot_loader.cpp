#include "engine/machine/multiboot_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "engine/machine/bios_data_area.h"
#include "engine/machine/host_file.h"
#include "engine/machine/image_bytes.h"

namespace vmlab::machine {

namespace {

using BootInfo = MultibootLoader::BootInfo;

// ELF constants (System V ABI, "ELF Header" and "Program Header"; i386 supplement).
constexpr uint8_t kElfMagic[4] = {0x7F, 'E', 'L', 'F'};
constexpr uint8_t kElfClass32 = 1, kElfClass64 = 2, kElfDataLsb = 1;
constexpr uint16_t kElfTypeExec = 2, kElfMachine386 = 3;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kElfHeaderSize = 52, kProgramHeaderSize = 32;
constexpr uint32_t kAoutFieldsSize = 32;  // magic, flags, checksum + the five addresses

using image_bytes::format;
using image_bytes::get16;
using image_bytes::get32;

Error format_error(const std::string& name, const std::string& what) {
  return Error{name + ": " + what, ENOEXEC};
}

// A kernel or module larger than the largest guest RAM could never be loaded.
Result<std::vector<uint8_t>> read_whole_file(const std::string& path, const char* what) {
  return read_host_file(path, std::string("the ") + what, uint64_t{PhysicalMemory::kMaxMib} << 20);
}

// A physical range the kernel occupies, [start, end).
struct Range {
  uint64_t start, end;
};

// A physical range the loader is about to fill, checked against RAM.
Result<void> check_range(const std::string& name, const std::string& what, uint64_t start,
                         uint64_t len, const PhysicalMemory& memory) {
  const uint64_t end = start + len;
  if (!memory.contains(start, len)) {
    return format_error(name, format("%s at physical 0x%08llX-0x%08llX lies outside RAM "
                                     "(%u MiB: 0x00000000-0x%08X)",
                                     what.c_str(), static_cast<unsigned long long>(start),
                                     static_cast<unsigned long long>(end - 1), memory.size_mib(),
                                     memory.size_bytes() - 1));
  }
  return {};
}

// Spec 3.1.1: the header is 32-bit aligned within the first 8192 bytes.
Result<uint32_t> find_header(std::span<const uint8_t> image, const std::string& name) {
  const size_t limit = std::min<size_t>(image.size(), MultibootLoader::kSearchBytes);
  std::optional<uint32_t> bad_checksum_at;
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    if (get32(image, off) != MultibootLoader::kHeaderMagic) continue;
    const uint32_t flags = get32(image, off + 4);
    const uint32_t checksum = get32(image, off + 8);
    if (MultibootLoader::kHeaderMagic + flags + checksum == 0) return static_cast<uint32_t>(off);
    if (!bad_checksum_at) bad_checksum_at = static_cast<uint32_t>(off);
  }
  if (bad_checksum_at) {
    return format_error(name, format("the Multiboot header at offset 0x%X has a bad checksum "
                                     "(magic + flags + checksum must be 0 modulo 2^32)",
                                     *bad_checksum_at));
  }
  return format_error(name, format("no Multiboot header in the first %u bytes and no Linux "
                                   "boot-protocol header (is it a Multiboot kernel or a "
                                   "bzImage?)",
                                   MultibootLoader::kSearchBytes));
}

Result<void> load_aout(std::span<const uint8_t> image, const std::string& name,
                       PhysicalMemory& memory, BootInfo& info, std::vector<Range>& loaded) {
  const uint32_t h = info.header_offset;
  if (h + kAoutFieldsSize > image.size()) {
    return format_error(name,
                        "the Multiboot header's a.out-kludge address fields (flag bit "
                        "16) run past the end of the file");
  }
  const uint32_t header_addr = get32(image, h + 12);
  const uint32_t load_addr = get32(image, h + 16);
  const uint32_t load_end_addr = get32(image, h + 20);
  const uint32_t bss_end_addr = get32(image, h + 24);
  const uint32_t entry_addr = get32(image, h + 28);
  if (header_addr < load_addr || header_addr - load_addr > h) {
    return format_error(name, format("a.out kludge: header_addr 0x%08X and load_addr 0x%08X "
                                     "place the load start outside the file (the header is at "
                                     "file offset 0x%X)",
                                     header_addr, load_addr, h));
  }
  // The file offset of load_addr: the header's own offset less its distance from it.
  const uint32_t load_offset = h - (header_addr - load_addr);
  uint64_t load_size;
  if (load_end_addr == 0) {
    load_size = image.size() - load_offset;  // 0 means "to the end of the file"
  } else {
    if (load_end_addr < load_addr) {
      return format_error(name, format("a.out kludge: load_end_addr 0x%08X is below load_addr "
                                       "0x%08X",
                                       load_end_addr, load_addr));
    }
    load_size = load_end_addr - load_addr;
    if (load_offset + load_size > image.size()) {
      return format_error(name, format("a.out kludge: load_end_addr 0x%08X lies beyond the end "
                                       "of the file (%zu bytes)",
                                       load_end_addr, image.size()));
    }
  }
  const uint64_t load_end = load_addr + load_size;
  uint64_t end = load_end;
  if (bss_end_addr != 0) {
    if (bss_end_addr < load_end) {
      return format_error(name, format("a.out kludge: bss_end_addr 0x%08X is below the end of "
                                       "the loaded image 0x%08llX",
                                       bss_end_addr, static_cast<unsigned long long>(load_end)));
    }
    end = bss_end_addr;
  }
  if (auto r = check_range(name, "the a.out-kludge image", load_addr, end - load_addr, memory); !r)
    return r.error();
  if (entry_addr < load_addr || entry_addr >= end) {
    return format_error(name,
                        format("entry point 0x%08X is outside the loaded image "
                               "0x%08X-0x%08llX",
                               entry_addr, load_addr, static_cast<unsigned long long>(end - 1)));
  }
  memory.write(load_addr, image.subspan(load_offset, static_cast<size_t>(load_size)));
  memory.fill(static_cast<uint32_t>(load_end), static_cast<uint32_t>(end - load_end), 0);
  info.entry = entry_addr;
  info.kernel_start = load_addr;
  info.kernel_end = static_cast<uint32_t>(end);
  info.aout_kludge = true;
  loaded.push_back({load_addr, end});
  return {};
}

Result<void> load_elf(std::span<const uint8_t> image, const std::string& name,
                      PhysicalMemory& memory, BootInfo& info, std::vector<Range>& loaded) {
  if (image.size() < 4 || !std::equal(kElfMagic, kElfMagic + 4, image.begin())) {
    return format_error(name,
                        "not an ELF32 i386 executable, and its Multiboot header has no "
                        "a.out-kludge addresses (flag bit 16) to load it by");
  }
  if (image.size() < kElfHeaderSize) return format_error(name, "truncated ELF header");
  if (image[4] == kElfClass64) {
    return format_error(name,
                        "not an ELF32 i386 executable: it is ELF64 (Multiboot 1 boots "
                        "32-bit kernels; build with -m32)");
  }
  if (image[4] != kElfClass32) {
    return format_error(name,
                        format("not an ELF32 i386 executable: unknown ELF class %u", image[4]));
  }
  if (image[5] != kElfDataLsb) {
    return format_error(name, "not an ELF32 i386 executable: it is big-endian");
  }
  const uint16_t machine = get16(image, 18);
  if (machine != kElfMachine386) {
    return format_error(name, format("not an ELF32 i386 executable: e_machine is %u, not 3 "
                                     "(EM_386)",
                                     machine));
  }
  const uint16_t type = get16(image, 16);
  if (type != kElfTypeExec) {
    return format_error(name, format("not an ELF32 i386 executable: e_type is %u, not 2 "
                                     "(ET_EXEC); link the kernel as a static executable",
                                     type));
  }
  const uint32_t entry = get32(image, 24);
  const uint32_t phoff = get32(image, 28);
  const uint16_t phentsize = get16(image, 42);
  const uint16_t phnum = get16(image, 44);
  if (phnum == 0) return format_error(name, "the ELF file has no program headers");
  if (phentsize < kProgramHeaderSize ||
      uint64_t{phoff} + uint64_t{phnum} * phentsize > image.size()) {
    return format_error(name, "the ELF program header table lies outside the file");
  }

  struct Segment {
    uint32_t offset, vaddr, paddr, filesz, memsz;
  };
  std::vector<Segment> segments;
  for (unsigned i = 0; i < phnum; ++i) {
    const size_t ph = phoff + size_t{i} * phentsize;
    if (get32(image, ph) != kPtLoad) continue;
    const Segment s{get32(image, ph + 4), get32(image, ph + 8), get32(image, ph + 12),
                    get32(image, ph + 16), get32(image, ph + 20)};
    if (s.memsz == 0) continue;
    if (uint64_t{s.offset} + s.filesz > image.size()) {
      return format_error(name, format("segment %u (file offset 0x%X, 0x%X bytes) lies outside "
                                       "the file",
                                       i, s.offset, s.filesz));
    }
    if (s.filesz > s.memsz) {
      return format_error(name, format("segment %u has p_filesz 0x%X larger than p_memsz 0x%X", i,
                                       s.filesz, s.memsz));
    }
    if (auto r = check_range(name, format("segment %u", i), s.paddr, s.memsz, memory); !r)
      return r.error();
    segments.push_back(s);
  }
  if (segments.empty()) return format_error(name, "the ELF file has no loadable segments");

  // Paging is off at entry: an entry point given as a virtual address inside a segment
  // is translated to where that segment was loaded.
  uint32_t phys_entry = entry;
  bool in_segment = false;
  for (const Segment& s : segments) {
    if (entry >= s.paddr && entry - s.paddr < s.memsz) {
      in_segment = true;
      break;
    }
  }
  if (!in_segment) {
    for (const Segment& s : segments) {
      if (entry >= s.vaddr && entry - s.vaddr < s.memsz) {
        phys_entry = entry - s.vaddr + s.paddr;
        in_segment = true;
        break;
      }
    }
  }
  if (!in_segment) {
    return format_error(name, format("entry point 0x%08X is outside the loaded segments", entry));
  }

  info.kernel_start = 0xFFFFFFFFu;
  info.kernel_end = 0;
  for (const Segment& s : segments) {
    memory.write(s.paddr, image.subspan(s.offset, s.filesz));
    memory.fill(s.paddr + s.filesz, s.memsz - s.filesz, 0);
    info.kernel_start = std::min(info.kernel_start, s.paddr);
    info.kernel_end = std::max(info.kernel_end, s.paddr + s.memsz);
    if (s.memsz != 0) loaded.push_back({s.paddr, uint64_t{s.paddr} + s.memsz});
  }
  info.entry = phys_entry;
  return {};
}

// Hands out the bytes of the information area, [base, base + size), in order.
class InfoArea {
 public:
  InfoArea(PhysicalMemory& memory, uint32_t base) : memory_(memory), next_(base) {}

  uint32_t alloc(uint32_t size, uint32_t align) {
    const uint32_t at = (next_ + align - 1) & ~(align - 1);
    next_ = at + size;
    return at;
  }
  uint32_t string(const std::string& s) {
    const uint32_t at = alloc(static_cast<uint32_t>(s.size() + 1), 1);
    memory_.write(at, {reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1});
    return at;
  }
  uint32_t end() const { return next_; }

 private:
  PhysicalMemory& memory_;
  uint32_t next_;
};

// Where the information area of `size` bytes goes: at kInfoAddr in conventional memory
// when no kernel segment lies there, as GRUB legacy leaves it below 640 KiB; else at the
// lowest free page of conventional memory above the BIOS data area (the first 4 KiB hold
// the real-mode interrupt vectors and the BDA); else on the first page after the kernel
// and its modules. It never overlaps a kernel segment or a module: those are loaded first,
// and the area is placed around them.
std::optional<uint32_t> place_info(uint64_t size, const std::vector<Range>& loaded,
                                   uint64_t loaded_end, const PhysicalMemory& memory) {
  auto free = [&](uint64_t at) {
    for (const Range& r : loaded) {
      if (at < r.end && r.start < at + size) return false;
    }
    return true;
  };
  const uint64_t conventional_end = MultibootLoader::kEbdaStart;
  if (MultibootLoader::kInfoAddr + size <= conventional_end && free(MultibootLoader::kInfoAddr)) {
    return MultibootLoader::kInfoAddr;
  }
  for (uint64_t at = MultibootLoader::kLowestInfoAddr; at + size <= conventional_end;
       at += 0x1000) {
    if (free(at)) return static_cast<uint32_t>(at);
  }
  const uint64_t high = (loaded_end + 0xFFF) & ~uint64_t{0xFFF};
  if (memory.contains(high, size)) return static_cast<uint32_t>(high);
  return std::nullopt;
}

void put_mmap_entry(PhysicalMemory& m, uint32_t at, uint64_t base, uint64_t len, uint32_t type) {
  m.write32(at, 20);  // size of the entry, not counting this field
  m.write32(at + 4, static_cast<uint32_t>(base));
  m.write32(at + 8, static_cast<uint32_t>(base >> 32));
  m.write32(at + 12, static_cast<uint32_t>(len));
  m.write32(at + 16, static_cast<uint32_t>(len >> 32));
  m.write32(at + 20, type);
}

}  // namespace

std::vector<MultibootLoader::MemoryMapEntry> MultibootLoader::memory_map(uint32_t ram) {
  return {
      {0, kEbdaStart, kMemoryAvailable},
      {kEbdaStart, kConventionalEnd - kEbdaStart, kMemoryReserved},
      {kBiosRomStart, kHighMemory - kBiosRomStart, kMemoryReserved},
      {kHighMemory, ram - kHighMemory, kMemoryAvailable},
  };
}

Result<std::vector<uint8_t>> MultibootLoader::read_kernel_file(const std::string& path) {
  return read_whole_file(path, "kernel");
}

Result<MultibootLoader::BootInfo> MultibootLoader::load_file(
    const std::string& path, const std::string& cmdline,
    const std::vector<MultibootModule>& modules, PhysicalMemory& memory) {
  auto image = read_whole_file(path, "kernel");
  if (!image) return image.error();
  return load_image(image.value(), path, cmdline, modules, memory);
}

Result<MultibootLoader::BootInfo> MultibootLoader::load_image(
    std::span<const uint8_t> image, const std::string& name, const std::string& cmdline,
    const std::vector<MultibootModule>& modules, PhysicalMemory& memory) {
  if (image.size() < 12) {
    return format_error(name, format("the file is too small (%zu bytes) to hold a Multiboot "
                                     "header",
                                     image.size()));
  }
  BootInfo info;
  auto header = find_header(image, name);
  if (!header) return header.error();
  // What the BIOS leaves in the BDA, before the kernel: a segment over it wins.
  write_bios_data_area(memory);
  info.header_offset = header.value();
  info.header_flags = get32(image, info.header_offset + 4);
  const uint32_t unsupported = info.header_flags & 0xFFFF & ~kSupportedRequired;
  if (unsupported != 0) {
    return format_error(name, format("the Multiboot header requires features this loader does "
                                     "not support (flags 0x%08X, unsupported required bits "
                                     "0x%04X)",
                                     info.header_flags, unsupported));
  }
  std::vector<Range> kernel_ranges;
  auto loaded = (info.header_flags & kFlagAoutKludge)
                    ? load_aout(image, name, memory, info, kernel_ranges)
                    : load_elf(image, name, memory, info, kernel_ranges);
  if (!loaded) return loaded.error();

  // Modules, page-aligned after the kernel (spec 3.3, "mods").
  struct Placed {
    uint32_t start, end;
  };
  std::vector<Placed> placed;
  uint64_t next = (uint64_t{info.kernel_end} + 0xFFF) & ~uint64_t{0xFFF};
  next = std::max<uint64_t>(next, kHighMemory);
  for (const MultibootModule& mod : modules) {
    // A module is read only as far as the RAM left after the kernel and the modules
    // before it: a larger file is refused from its size, before anything is read.
    const uint64_t room = memory.size_bytes() > next ? memory.size_bytes() - next : 0;
    auto bytes = read_host_file(mod.path, "the module", room);
    if (!bytes) return bytes.error();
    const uint64_t size = bytes.value().size();
    if (!memory.contains(next, size)) {
      return Error{format("%s: module of %llu bytes does not fit in RAM after the kernel (it "
                          "would end at 0x%08llX; RAM ends at 0x%08X)",
                          mod.path.c_str(), static_cast<unsigned long long>(size),
                          static_cast<unsigned long long>(next + size), memory.size_bytes()),
                   ENOMEM};
    }
    memory.write(static_cast<uint32_t>(next), bytes.value());
    placed.push_back({static_cast<uint32_t>(next), static_cast<uint32_t>(next + size)});
    next = (next + size + 0xFFF) & ~uint64_t{0xFFF};
  }
  info.loaded_end = placed.empty() ? info.kernel_end : std::max(info.kernel_end, placed.back().end);

  // The information structure and what it points to, in one area placed where nothing
  // was loaded: the structure, the memory map and the module list (4-byte aligned), then
  // the module strings, the command line and the boot loader name.
  const uint32_t ram = memory.size_bytes();
  const std::vector<MemoryMapEntry> map = memory_map(ram);
  const uint32_t map_bytes = static_cast<uint32_t>(map.size() * 24);
  uint64_t size = kInfoSize + map_bytes + uint64_t{modules.size()} * 16;
  for (const MultibootModule& mod : modules) size += mod.cmdline.size() + 1;
  size += cmdline.size() + 1 + sizeof kLoaderName;
  if (size > kMaxInfoBytes) {
    return Error{format("the Multiboot information (command lines, module list) takes %llu "
                        "bytes, more than the %u this loader gives it; shorten the command lines",
                        static_cast<unsigned long long>(size), kMaxInfoBytes),
                 E2BIG};
  }
  std::vector<Range> occupied = kernel_ranges;
  for (const Placed& p : placed) occupied.push_back({p.start, p.end});
  const auto base = place_info(size, occupied, info.loaded_end, memory);
  if (!base) {
    return Error{format("the Multiboot information (%llu bytes) fits neither in conventional "
                        "memory beside the kernel nor in RAM after it and its modules",
                        static_cast<unsigned long long>(size)),
                 ENOMEM};
  }
  InfoArea area(memory, *base);
  const uint32_t mb = area.alloc(kInfoSize, 4);
  memory.fill(mb, kInfoSize, 0);
  const uint32_t mmap = area.alloc(map_bytes, 4);
  for (size_t i = 0; i < map.size(); ++i) {
    put_mmap_entry(memory, mmap + static_cast<uint32_t>(i * 24), map[i].base, map[i].len,
                   map[i].type);
  }
  const uint32_t mods = area.alloc(static_cast<uint32_t>(modules.size() * 16), 4);
  for (size_t i = 0; i < modules.size(); ++i) {
    const uint32_t str = area.string(modules[i].cmdline);
    const uint32_t at = mods + static_cast<uint32_t>(i * 16);
    memory.write32(at, placed[i].start);
    memory.write32(at + 4, placed[i].end);
    memory.write32(at + 8, str);
    memory.write32(at + 12, 0);
  }
  const uint32_t cmd = area.string(cmdline);
  const uint32_t loader_name = area.string(kLoaderName);

  memory.write32(mb + kOffFlags,
                 kInfoMemory | kInfoCmdline | kInfoMods | kInfoMmap | kInfoLoaderName);
  memory.write32(mb + kOffMemLower, kEbdaStart / 1024);
  memory.write32(mb + kOffMemUpper, (ram - kHighMemory) / 1024);
  memory.write32(mb + kOffCmdline, cmd);
  memory.write32(mb + kOffModsCount, static_cast<uint32_t>(modules.size()));
  memory.write32(mb + kOffModsAddr, mods);
  memory.write32(mb + kOffMmapLength, map_bytes);
  memory.write32(mb + kOffMmapAddr, mmap);
  memory.write32(mb + kOffLoaderName, loader_name);
  info.info_addr = mb;
  info.info_end = area.end();
  return info;
}

}  // namespace vmlab::machine
