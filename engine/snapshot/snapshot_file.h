// SnapshotFile: one vmlab snapshot as it lies on disk (docs/snapshots.md, "File format").
//
//   magic "VMLABSNP" (8 bytes) | format version (u32) | header length (u32) | header |
//   section count (u32) | sections: tag (u32), length (u64), bytes | SHA-256 of all before
//
// The header names the vmlab version that wrote the file, the configuration's fingerprint
// (key/value pairs: mode, profile, kernel image hash, memory, disks, input...) and, for an
// incremental snapshot, its parent: the parent's file name (in the same folder) and the
// SHA-256 trailer the parent must have. Decoding checks, in this order: the magic, the
// format version, the checksum, then every length against what is left, so a truncated,
// corrupt or hostile file is refused with an Error, never read out of range.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/machine/result.h"

namespace vmlab::snapshot {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kMaxSections = 64;

// Error::code of the refusals (distinct exit statuses in the CLI, docs/snapshots.md).
inline constexpr int kErrNotSnapshot = 1001;  // no magic: not a vmlab snapshot
inline constexpr int kErrVersion = 1002;      // another format version (or vmlab version)
inline constexpr int kErrCorrupt = 1003;      // truncated, checksum wrong, malformed
inline constexpr int kErrMismatch = 1004;     // another kernel, mode, profile, memory...
inline constexpr int kErrDiverged = 1005;     // the restored machine is not the saved one

// Section tags: four characters, read as a little-endian u32.
constexpr uint32_t tag(const char (&s)[5]) {
  return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
         uint32_t(uint8_t(s[3])) << 24;
}

struct Section {
  uint32_t tag = 0;
  std::vector<uint8_t> bytes;
};

using Fingerprint = std::vector<std::pair<std::string, std::string>>;
using Digest = std::array<uint8_t, 32>;

struct SnapshotFile {
  uint32_t format_version = kFormatVersion;
  std::string vmlab_version;
  Fingerprint fingerprint;
  // An incremental snapshot: the parent file (a name in the same folder) and its trailer.
  bool is_diff = false;
  std::string parent;
  Digest parent_digest{};
  std::vector<Section> sections;

  const Section* find(uint32_t section_tag) const;
};

// The file's bytes, ending with their SHA-256.
std::vector<uint8_t> encode(const SnapshotFile& file);
// The trailer (SHA-256) of encoded bytes; zeros when `bytes` is too short to have one.
Digest trailer_of(std::span<const uint8_t> bytes);
// Parses and checks `bytes`; `name` is used in the messages.
machine::Result<SnapshotFile> decode(std::span<const uint8_t> bytes, const std::string& name);

// The fingerprint entries of `saved` that differ from `current`, as one message naming each
// ("kernel_sha256: the snapshot has a1b2..., this run has c3d4..."); empty when they agree.
std::string fingerprint_mismatch(const Fingerprint& saved, const Fingerprint& current);

// Reads and writes whole files (a write goes to a temporary name, then is renamed).
machine::Result<std::vector<uint8_t>> read_file(const std::string& path);
machine::Result<void> write_file(const std::string& path, std::span<const uint8_t> bytes);

// Writes encode(file) to `path` without building it in memory first (a snapshot of a large
// guest is as large as its memory). Returns the size and the trailer.
struct Written {
  uint64_t bytes = 0;
  Digest digest{};
};
machine::Result<Written> write_snapshot(const std::string& path, const SnapshotFile& file);

}  // namespace vmlab::snapshot
