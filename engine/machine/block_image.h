// BlockImage: a raw disk image on the host, read and written in 512-byte sectors, as
// QEMU's `-drive file=IMG,format=raw` is.
//
// The image is the file itself: sector N is bytes [512 N, 512 N + 512). Opening checks
// what the user named before the guest can touch it, and each kind of bad image has its
// own errno so the CLI can give each its own exit status (docs/disk.md):
//   ENOENT  no such file              EISDIR  a directory
//   ENODEV  not a regular file        EACCES  no permission to read (or, without
//                                             `readonly`, to write) it
//   EINVAL  empty, or its size not a multiple of 512 bytes
//   EROFS   a read-only file (no write permission bit, or on a read-only file system)
//           opened without `readonly`
// The permission bits are checked as well as open(2)'s answer, so a file nobody may read
// (mode 000) or write (mode 444) is refused the same way when vmlab runs as root, which
// open(2) would let through.
//
// Writes go to the file at once (pwrite), in the order the guest makes them, so a killed
// run leaves every completed write in the file; flush() makes them durable (fsync), as
// the ATA FLUSH CACHE command asks. Every access is bounds-checked against the image's
// size: a sector number comes from the guest and is never trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/cpu/state_codec.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

// One --disk: the image, the ATA position (0 primary master, 1 primary slave) and whether
// the guest may write it.
struct DiskSpec {
  std::string path;
  unsigned index = 0;
  bool readonly = false;
};

class BlockImage {
 public:
  static constexpr uint32_t kSectorSize = 512;

  static Result<std::unique_ptr<BlockImage>> open(const std::string& path, bool readonly);
  BlockImage(const BlockImage&) = delete;
  BlockImage& operator=(const BlockImage&) = delete;
  ~BlockImage();

  uint64_t sectors() const { return sectors_; }
  bool readonly() const { return readonly_; }
  const std::string& path() const { return path_; }

  // `out.size()` / 512 sectors from `lba`; false (nothing read) when any of them lies
  // past the end or the host read fails.
  bool read(uint64_t lba, std::span<uint8_t> out);
  // Writes `data.size()` / 512 sectors at `lba`; false (nothing written) when the image is
  // read-only or any sector lies past the end, or when the host write fails.
  bool write(uint64_t lba, std::span<const uint8_t> data);
  // fsync: everything written so far is on the host's disk. False if the host failed.
  bool flush();

  uint64_t reads() const { return reads_; }
  uint64_t writes() const { return writes_; }
  uint64_t flushes() const { return flushes_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  BlockImage(int fd, std::string path, uint64_t sectors, bool readonly)
      : fd_(fd), path_(std::move(path)), sectors_(sectors), readonly_(readonly) {}
  bool in_range(uint64_t lba, size_t bytes) const;

  int fd_;
  std::string path_;
  uint64_t sectors_;
  bool readonly_;
  uint64_t reads_ = 0, writes_ = 0, flushes_ = 0;
};

}  // namespace vmlab::machine
