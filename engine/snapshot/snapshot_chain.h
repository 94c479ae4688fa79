// Loading a snapshot together with the files it depends on (docs/snapshots.md,
// "Incremental snapshots"): an incremental snapshot names its parent, which may be
// incremental too, down to a full one. load_chain follows the names (in the same folder),
// checks each parent's SHA-256 against the digest its child recorded, that every file
// has the same fingerprint, and composes the machine memory: the base's pages, then each
// diff's in order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/machine/result.h"
#include "engine/snapshot/snapshot_file.h"

namespace vmlab::snapshot {

inline constexpr size_t kMaxChain = 100000;

struct LoadedSnapshot {
  SnapshotFile file;            // the named file (its sections other than MEM are whole)
  std::vector<uint8_t> memory;  // machine memory composed from the chain
  size_t chain_length = 1;      // 1: a full snapshot
};

machine::Result<LoadedSnapshot> load_chain(const std::string& path);
// The same state as one full snapshot (is_diff false, MEM with every non-zero page).
SnapshotFile flatten(const LoadedSnapshot& loaded);

}  // namespace vmlab::snapshot
