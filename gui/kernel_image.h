// KernelImage: the code of the kernel an opened run booted, read from its ELF file, so
// that the event table can show the instruction at an event's EIP for a run directory
// (which holds no memory). The file is the one config.json names, and only if its SHA-256
// is the one config.json recorded: a kernel rebuilt since the run would show the wrong
// instruction. The ELF32 program headers' PT_LOAD segments map addresses to file bytes,
// by virtual address (the kernel's higher half) and by physical address (its boot code
// before paging). Everything is bounds-checked: a damaged file gives a reason, not a crash.
#pragma once

#include <QString>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/machine/result.h"

namespace vmlab::gui {

class KernelImage {
 public:
  // Reads `path` (relative paths also tried against `base_dir`); when `sha256` is not
  // empty the file must have it.
  static machine::Result<KernelImage> load(const QString& path, const QString& sha256,
                                           const QString& base_dir = {});

  // The image's bytes from `address` to the end of its segment, at most `max`; empty when
  // no segment holds the address (user programs, the translation cache, BSS).
  std::span<const uint8_t> bytes_at(uint32_t address, size_t max) const;
  const QString& path() const { return path_; }

 private:
  struct Segment {
    uint32_t vaddr = 0;
    uint32_t paddr = 0;
    uint32_t offset = 0;
    uint32_t size = 0;  // bytes in the file
  };
  QString path_;
  std::vector<uint8_t> file_;
  std::vector<Segment> segments_;
};

// The instruction at `eip` in `image` ("0xc01010b0  9c  pushf"), or why it cannot be shown.
QString instruction_at(const KernelImage& image, uint32_t eip);

}  // namespace vmlab::gui
