// The snapshot options of `vmlab run` (docs/snapshots.md): parsed by parse_run_options
// through take_snapshot_option, used by cli/snapshot_session.h.
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
  std::string restore;  // --restore FILE
  // --restore-reexecute: restore by re-executing the guest from boot (and checking every
  // byte) even when the mode could load the state straight.
  bool reexecute = false;

  bool any() const {
    return !points.empty() || !on_exit.empty() || every_cycles != 0 || !restore.empty();
  }
};

// If args[i] is a snapshot option, consumes it (and its values, advancing i) into `o` and
// returns true; `error` is set (and false returned) on a bad value. `handled` tells whether
// args[i] was one of them.
bool take_snapshot_option(const std::vector<std::string>& args, size_t& i, SnapshotOptions& o,
                          bool& handled, std::string& error);

}  // namespace vmlab::cli
