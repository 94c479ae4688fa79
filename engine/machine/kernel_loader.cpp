#include "engine/machine/kernel_loader.h"

#include "engine/machine/linux_boot_loader.h"

namespace vmlab::machine {

namespace {

uint32_t get32(std::span<const uint8_t> b, size_t off) {
  return uint32_t{b[off]} | uint32_t{b[off + 1]} << 8 | uint32_t{b[off + 2]} << 16 |
         uint32_t{b[off + 3]} << 24;
}

bool has_multiboot_header(std::span<const uint8_t> image) {
  const size_t limit = std::min<size_t>(image.size(), MultibootLoader::kSearchBytes);
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    if (get32(image, off) != MultibootLoader::kHeaderMagic) continue;
    if (MultibootLoader::kHeaderMagic + get32(image, off + 4) + get32(image, off + 8) == 0)
      return true;
  }
  return false;
}

}  // namespace

MultibootLoader::Protocol kernel_protocol(std::span<const uint8_t> image) {
  if (!has_multiboot_header(image) && LinuxBootLoader::has_setup_header(image))
    return MultibootLoader::Protocol::kLinux;
  return MultibootLoader::Protocol::kMultiboot;
}

std::string linux_command_line(const std::string& cmdline, const std::string& name) {
  if (cmdline == name) return {};
  if (!name.empty() && cmdline.size() > name.size() && cmdline.compare(0, name.size(), name) == 0 &&
      cmdline[name.size()] == ' ')
    return cmdline.substr(name.size() + 1);
  return cmdline;
}

Result<MultibootLoader::BootInfo> load_kernel_image(std::span<const uint8_t> image,
                                                    const std::string& name,
                                                    const std::string& cmdline,
                                                    const std::vector<MultibootModule>& modules,
                                                    PhysicalMemory& memory) {
  if (kernel_protocol(image) == MultibootLoader::Protocol::kLinux) {
    return LinuxBootLoader::load_image(image, name, linux_command_line(cmdline, name), modules,
                                       memory);
  }
  return MultibootLoader::load_image(image, name, cmdline, modules, memory);
}

}  // namespace vmlab::machine
