// `vmlab run` with snapshot options (docs/snapshots.md): the run's identity (the
// fingerprint a snapshot carries), a restore before the run, and the run itself taking
// the snapshots the options ask for.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "cli/options.h"
#include "engine/debug/debug_target.h"
#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/snapshot/snapshot_runner.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::cli {

// Runs `vm` (loaded, nothing run yet) to its stop with the options' snapshots; restores
// first with --restore, with `console_muted` set while the restored part re-executes (its
// console output was the earlier run's). Errors: snapshot::kErr* codes or errno values.
machine::Result<machine::RunResult> run_with_snapshots(vmm::Vm& vm, const RunOptions& opts,
                                                       const std::string& input_sha256,
                                                       std::atomic<bool>& console_muted);
// The run's identity: the fingerprint a snapshot (or a migration's HELLO) carries.
machine::Result<snapshot::Identity> run_identity(const vmm::Vm& vm, const RunOptions& opts,
                                                 const std::string& input_sha256);
// `monitor savevm FILE` under --gdb (docs/gdb.md): writes a full snapshot of `vm` with the
// run's identity as it is now, before the guest runs (a disk the guest writes later is
// still named by its image at boot, as --snapshot-at names it).
debug::DebugTarget::SaveVm debugger_save_vm(vmm::Vm& vm, const RunOptions& opts,
                                            const std::string& input_sha256);
// The exit status for a snapshot error (docs/snapshots.md, "Exit statuses").
int snapshot_exit_code(const machine::Error& e);

}  // namespace vmlab::cli
