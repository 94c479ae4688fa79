// `vmlab run` in a live migration (docs/migration.md): the source's run with
// --migrate-to, and the destination's, whose connection `vmlab migrate-listen` accepted
// and handed over before it built the machine from the source's arguments.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "cli/options.h"
#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/migration/connection.h"
#include "engine/migration/receiver.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::cli {

struct MigrationOutcome {
  bool active = false;         // this run was a migration's source or destination
  bool migrated_away = false;  // the source: the destination took the machine over
  std::string stats_json;      // stats.json's "migration" member
};

// The destination's connection, its first frame (HELLO) already taken by `receiver`.
void hand_over_incoming(std::unique_ptr<migration::Connection> connection,
                        std::unique_ptr<migration::Receiver> receiver);
bool incoming_migration();

// Runs `vm` (loaded, nothing run yet) as the source (o.migrate.any()) or the destination
// (incoming_migration()) to its end. `args` are `vmlab run`'s, `input` the guest's console
// input; `console_muted` is set while the destination loads the state (its console so far
// was the source's). Errors (the destination's: nothing loaded, the run not started) carry an errno
// value; migrate_exit_code maps them.
machine::Result<machine::RunResult> run_with_migration(vmm::Vm& vm, const RunOptions& o,
                                                       const std::vector<std::string>& args,
                                                       const std::string& input,
                                                       const std::string& input_sha256,
                                                       std::atomic<bool>& console_muted,
                                                       MigrationOutcome& outcome);
int migrate_exit_code(const machine::Error& e);

// Adds "migration": JSON to the stats.json `vmlab run` wrote in `out_dir`.
machine::Result<void> add_migration_stats(const std::string& out_dir, const std::string& json);

}  // namespace vmlab::cli
