// The guest file system's on-disk format on the host side: `vmlab mkfs` builds an empty
// one, `vmlab fsck` checks one. The layout is guest/kernel/diskfs.h's (docs/disk.md, "The
// file system"); the guest and these tools agree because tests/kernels/ata_pio/
// guest_fs.sh has the guest write files that fsck then reads back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vmlab::frontend::diskfs {

constexpr uint32_t kSector = 512;
constexpr char kMagic[9] = "VMLABFS1";
constexpr uint32_t kInodeStart = 1, kInodes = 64, kInodeSectors = 8, kBitmapStart = 9;
constexpr uint32_t kDirect = 10, kPerIndirect = 128, kNameMax = 27;
constexpr uint32_t kTypeFree = 0, kTypeFile = 1, kTypeDir = 2;
constexpr uint32_t kBitsPerSector = kSector * 8;
// The smallest image mkfs makes: the metadata and room for a few files.
constexpr uint64_t kMinSectors = 64;
// The largest image mkfs makes and fsck reads (fsck reads the image whole): 1 GiB. The ATA
// controller itself takes images up to LBA28's 128 GiB.
constexpr uint64_t kMaxSectors = uint64_t{1} << 21;

// An empty file system for an image of `sectors` sectors (the whole image's bytes).
std::vector<uint8_t> make_empty(uint32_t sectors);

struct FileInfo {
  std::string name;
  uint32_t inode;
  uint32_t size;
};

struct CheckResult {
  std::vector<std::string> errors;  // inconsistencies: the file system is damaged
  std::vector<std::string> leaks;   // allocated but unreferenced inodes and sectors
  std::vector<FileInfo> files;      // the root directory's files, in directory order
  uint32_t sectors_used = 0, sectors = 0;
};

// Checks `image` (whole, a multiple of 512 bytes).
CheckResult check(const std::vector<uint8_t>& image);
// A file's contents (after check() found no errors); empty when there is no such file.
std::vector<uint8_t> read_file(const std::vector<uint8_t>& image, const std::string& name);

}  // namespace vmlab::frontend::diskfs
