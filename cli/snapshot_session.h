// `vmlab run` with snapshot options (docs/snapshots.md): the run's identity (the
// fingerprint a snapshot carries), a restore before the run, and the run itself taking
// the snapshots the options ask for.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
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
// The machines of a run under --gdb (docs/gdb.md, "Snapshots from gdb"): the one the run
// started with, and the one `monitor loadvm FILE` last swapped in under the debugger.
class DebuggerMachines {
 public:
  // A new machine of the run's configuration, its kernel loaded, nothing run (or an error
  // saying why this run cannot make one).
  using MakeVm = std::function<machine::Result<std::unique_ptr<vmm::Vm>>()>;
  // The run's identity is taken now, before the guest runs (a disk the guest writes later
  // is still named by its image at boot, as --snapshot-at names it).
  DebuggerMachines(vmm::Vm& first, MakeVm make_vm, const RunOptions& opts,
                   const std::string& input_sha256, std::atomic<bool>& console_muted);
  // `monitor savevm FILE`: a full snapshot of the current machine.
  debug::DebugTarget::SaveVm save_vm();
  // `monitor loadvm FILE`: a new machine made and brought to FILE's state with the checks
  // and the means of --restore (loaded, or re-executed where it cannot be); the machine it
  // replaces stays alive until the next loadvm (the debugger lets go of it in between).
  debug::DebugTarget::LoadVm load_vm();
  // The machine the run goes on with.
  vmm::Vm& current() { return current_ ? *current_ : first_; }

 private:
  vmm::Vm& first_;
  MakeVm make_vm_;
  const RunOptions& opts_;
  std::atomic<bool>& console_muted_;
  std::optional<snapshot::Identity> identity_;
  std::string identity_error_;
  std::unique_ptr<vmm::Vm> current_, previous_;
};
// The exit status for a snapshot error (docs/snapshots.md, "Exit statuses").
int snapshot_exit_code(const machine::Error& e);

}  // namespace vmlab::cli
