// ScratchDisk: a fresh, empty vmlabfs image for a run of a disk workload that was given no
// disk (`vmlab run run=diskread`, `vmlab compare --workloads diskread`; docs/disk.md,
// "Measuring"). Built with `vmlab mkfs`'s code (frontend/diskfs.h) in a temporary file of
// its own, so parallel cells never share one, and removed when the object goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/machine/result.h"

namespace vmlab::frontend {

class ScratchDisk {
 public:
  // 1 MiB: room for the disk workloads' 64 KiB file and every file they create.
  static constexpr uint32_t kSectors = 2048;

  // A new image in `dir` (empty: the system's temporary folder).
  static machine::Result<std::unique_ptr<ScratchDisk>> create(const std::string& dir = {});
  // A copy of the image file `image` instead (a sweep grid's `disk`, docs/sweep.md): each
  // run writes its own copy, the file itself is never written.
  static machine::Result<std::unique_ptr<ScratchDisk>> copy_of(const std::string& image,
                                                               const std::string& dir = {});
  ~ScratchDisk();
  ScratchDisk(const ScratchDisk&) = delete;
  ScratchDisk& operator=(const ScratchDisk&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit ScratchDisk(std::string path) : path_(std::move(path)) {}
  static machine::Result<std::unique_ptr<ScratchDisk>> write_new(const std::string& dir,
                                                                 const std::vector<uint8_t>& bytes);
  std::string path_;
};

}  // namespace vmlab::frontend
