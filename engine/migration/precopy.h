// The source's side of a live migration: iterative pre-copy, then stop-and-copy
// (Clark et al., "Live Migration of Virtual Machines", NSDI 2005, sections 3 and 4;
// docs/migration.md, "How a migration runs").
//
// Round 0 sends every page of machine memory that is not all zeros while the guest runs
// on; each later round sends the pages the engine's dirty log (cpu::Cpu::dirty_log) marked
// during the round before — or the mode's own write tracking (vmm::WriteTracker), with the
// engine's log as its cross-check (docs/migration.md, "Write tracking"). The transfer of a round
// takes modeled time: its pages at a modeled link bandwidth (pages per million modeled cycles), and
// the guest runs that long before the next round begins. The rounds stop when the dirty set is at
// or below a threshold, when it did not shrink, or after a maximum number of rounds; then the guest
// is paused and the rest goes over — the last round's dirty pages, every page whose
// contents differ from what the destination holds (a check that catches any write the
// log missed, counted apart), and the state sections — and the destination's ACK commits
// the migration. Downtime is the modeled time of that last transfer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/migration/connection.h"
#include "engine/migration/protocol.h"
#include "engine/snapshot/snapshot_file.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::migration {

struct PrecopyOptions {
  bool precopy = true;              // false: stop-and-copy at once
  uint32_t max_rounds = 30;         // pre-copy rounds at most (round 0 included)
  uint64_t threshold_pages = 64;    // stop-and-copy once a round dirtied at most this many
  uint64_t pages_per_mcycle = 256;  // the modeled link: pages per million modeled cycles
  // The mode's own write tracking (vmm::WriteTracker: shadow write protection) instead of
  // the engine's dirty log, which then stays as the cross-check. Refused by migrate_out for
  // a mode without one.
  bool mode_tracking = false;
};

struct RoundStats {
  uint32_t round = 0;
  uint64_t start_cycle = 0;
  uint64_t pages_sent = 0;
  uint64_t pages_dirtied = 0;  // marked in the dirty log while the round's pages went over
  uint64_t cycles = 0;         // the round's modeled transfer time
  // With the mode's tracking (PrecopyOptions::mode_tracking): the write faults it took during
  // the round and the modeled cycles charged for them, and the pages the engine's log saw
  // an instruction store to in the guest's frames that the mode's set lacks (0 when the
  // tracking is sound).
  uint64_t tracking_faults = 0;
  uint64_t tracking_cycles = 0;
  uint64_t pages_missed_by_tracking = 0;
};

struct MigrationStats {
  bool completed = false;
  std::string failure;  // why not, when not completed
  uint64_t started_at_cycle = 0;
  uint64_t migrated_at_cycle = 0;  // where the guest paused for stop-and-copy
  uint64_t migrated_at_instructions = 0;
  std::string tracking;            // "engine dirty log" or the mode's mechanism
  std::vector<RoundStats> rounds;  // the pre-copy rounds
  std::string stop_reason;         // "threshold", "no shrink", "max rounds", "precopy off"
  uint64_t stop_copy_pages = 0;    // pages sent while the guest was paused
  uint64_t pages_missed_by_log = 0;
  uint64_t state_bytes = 0;
  uint64_t downtime_cycles = 0;
  uint64_t total_pages = 0;
  uint64_t total_bytes = 0;  // everything sent on the connection
};

// What the source captures at the stop point, besides memory (engine/snapshot's state).
using CaptureState = std::function<std::vector<snapshot::Section>(vmm::Vm&)>;

// Migrates `vm` (paused, nothing of the migration sent yet) over `c`: HELLO, the rounds,
// stop-and-copy, STATE, DONE, the destination's ACK, COMMIT. On success the Vm is left
// paused at migrated_at_cycle and must not run on (the destination runs it). Otherwise
// stats.failure says why (the connection dropped, the destination refused, the guest
// stopped during the rounds) and the Vm is paused or stopped where the guest got to: the
// caller runs it on to its normal end, which is the run it would have been without the
// migration (the rounds do not change the guest's course).
MigrationStats migrate_out(vmm::Vm& vm, Connection& c, const Hello& hello, const PrecopyOptions& o,
                           const CaptureState& capture);

// The modeled transfer time of `pages` pages over the link.
uint64_t transfer_cycles(uint64_t pages, uint64_t pages_per_mcycle);

// stats as a JSON object (docs/migration.md, "stats.json").
std::string stats_json(const MigrationStats& s, const PrecopyOptions& o, int indent);

}  // namespace vmlab::migration
