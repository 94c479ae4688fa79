// The snapshot options of `vmlab run` (docs/snapshots.md): declared on run's command line
// by declare_snapshot_options, used by cli/snapshot_session.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::cli {

struct SnapshotPoint {
  bool by_instructions = false;  // --snapshot-at-insn N; else --snapshot-at CYCLES
  uint64_t at = 0;
  std::string file;
};

struct SnapshotOptions {
  std::vector<SnapshotPoint> points;  // --snapshot-at CYCLES FILE, --snapshot-at-insn N FILE
  std::string on_exit;                // --snapshot-on-exit FILE
  uint64_t every_cycles = 0;          // --snapshot-every CYCLES DIR (0: none)
  std::string every_dir;
  // --snapshot-tracking mode: --snapshot-every finds written pages by the mode's own write
  // tracking (vmm::WriteTracker) instead of the engine's dirty log.
  bool mode_tracking = false;
  bool tracking_given = false;
  std::string restore;  // --restore FILE
  // --restore-reexecute: restore by re-executing the guest from boot (and checking every
  // byte) even when the mode could load the state straight.
  bool reexecute = false;

  bool any() const {
    return !points.empty() || !on_exit.empty() || every_cycles != 0 || !restore.empty();
  }
};

class CommandLine;
// Declares --snapshot-at, --snapshot-at-insn, --snapshot-on-exit, --snapshot-every and
// --restore on `cl`, filling `o`.
void declare_snapshot_options(CommandLine& cl, SnapshotOptions& o);

}  // namespace vmlab::cli
