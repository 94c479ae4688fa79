// Taking and restoring snapshots of a running Vm (docs/snapshots.md).
//
// save() writes the Vm's state (vm_capture.h: registers, counters, console, machine memory;
// not the devices' registers nor the monitors' host-side state) as one full snapshot file.
//
// restore() brings a freshly loaded Vm (nothing run yet) to the state a snapshot file
// holds. It refuses a file of another format or vmlab version (kErrVersion), of another
// configuration (kErrMismatch: kernel image, mode, profile, memory, disks, input...), or
// a truncated or corrupt one (kErrCorrupt). The machine is then brought to the snapshot by
// deterministic re-execution: the Vm runs from boot to the snapshot's instruction count
// (the simulation's only inputs, the kernel, command line, disks and input bytes, are
// pinned by the fingerprint), and every byte of the result is checked against the file —
// processor, counters, console, machine memory — before the run goes on; a machine that
// does not come out identical is refused (kErrDiverged). The mode's monitor state that
// lives on the host (the bt translation cache's host code, the shadow MMU's maps, PV page
// types and event channels) is rebuilt by that re-execution, exactly as it was, which is
// why a restored run ends with the same counts and modeled cycles as one never stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/machine/result.h"
#include "engine/snapshot/snapshot_chain.h"
#include "engine/snapshot/snapshot_file.h"
#include "engine/snapshot/state_load.h"
#include "engine/snapshot/vm_capture.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::snapshot {

struct Identity {
  std::string vmlab_version;
  Fingerprint fingerprint;
};

// A full snapshot of `vm` in `path`; returns the bytes written.
machine::Result<uint64_t> save(vmm::Vm& vm, const Identity& id, const std::string& path);

// The snapshot at `path` (with its parents, if incremental), checked against `id`.
machine::Result<LoadedSnapshot> load_for(const Identity& id, const std::string& path);
// Brings `vm` (loaded, nothing run) to `loaded`'s state by re-execution; see above.
machine::Result<Position> restore(vmm::Vm& vm, const LoadedSnapshot& loaded,
                                  const std::string& name);
// Whether `loaded` can be loaded into `vm` straight (load_state): the mode can load its
// monitor's state and the file carries every state section. Otherwise `why_not` says why.
bool can_load(const vmm::Vm& vm, const LoadedSnapshot& loaded, std::string* why_not = nullptr);
// Loads `loaded` into `vm` (loaded, nothing run) with load_state (state_load.h).
machine::Result<Position> load(vmm::Vm& vm, const LoadedSnapshot& loaded, const std::string& name);

// How many instructions to run towards a cycle count without passing it by more than one
// instruction's cost: half the remaining distance divided by the largest cycles per
// instruction seen in any step so far, and at most twice the step before (one instruction
// at first, and near the target). A single instruction may still pass it by its own cost
// (a halted processor skipping idle time to the next timer edge).
class CycleStepper {
 public:
  uint64_t step(uint64_t now_cycles, uint64_t target) const;
  // After a step: the instructions and cycles it took.
  void observe(uint64_t instructions, uint64_t cycles);

 private:
  uint64_t cycles_per_insn_ = 0;  // 0: nothing seen yet
  uint64_t last_step_ = 1;        // steps at most double (a slow start)
};

// Run `vm` on to a point: false when the machine stopped before it (vm.last_stop()).
// By cycles: the first instruction boundary at or after `cycles` that CycleStepper's
// steps reach (the file records the exact counts).
bool run_to_instructions(vmm::Vm& vm, uint64_t instructions);
bool run_to_cycles(vmm::Vm& vm, uint64_t cycles);
// One step of at most `instructions` (at least one), telling `stepper` what it took.
void run_step(vmm::Vm& vm, uint64_t instructions, CycleStepper& stepper);

// --snapshot-every: a base snapshot, then incremental ones holding only the pages that
// changed since the one before (found by comparing with a copy of the last snapshot's
// memory, docs/snapshots.md says what that is and is not).
class IncrementalSeries {
 public:
  struct Taken {
    std::string path;
    bool base = false;
    uint64_t pages = 0;  // machine-memory pages in the file
    uint64_t bytes = 0;  // the file's size
  };
  IncrementalSeries(std::string dir, Identity id) : dir_(std::move(dir)), id_(std::move(id)) {}
  machine::Result<Taken> take(vmm::Vm& vm);
  unsigned count() const { return count_; }

 private:
  std::string dir_;
  Identity id_;
  unsigned count_ = 0;
  std::vector<uint8_t> previous_;
  std::string previous_name_;
  Digest previous_digest_{};
};

}  // namespace vmlab::snapshot
