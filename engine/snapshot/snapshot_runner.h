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
#include <optional>
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

// The snapshot at `path` (with its parents, if incremental), checked against `id`. With
// `disks_later`, the disks (fingerprint keys disk0, disk1: their images as the run found
// them at boot) may differ: a load checks them against the snapshot's DSKS instead
// (state_load.h), and disks_at_boot() tells whether a re-execution could use them.
machine::Result<LoadedSnapshot> load_for(const Identity& id, const std::string& path,
                                         bool disks_later = false);
// The mismatch of `loaded`'s disk fingerprint keys with `id`'s (empty: the disks are the
// ones the snapshot's run found at boot), as load_for's message.
std::string disks_at_boot(const Identity& id, const LoadedSnapshot& loaded);
// Brings `vm` (loaded, nothing run) to `loaded`'s state by re-execution; see above.
machine::Result<Position> restore(vmm::Vm& vm, const LoadedSnapshot& loaded,
                                  const std::string& name);
// Whether `loaded` can be loaded into `vm` straight (load_state): the mode can load its
// monitor's state, the file carries every state section, and the disks are as they were
// at the snapshot (a guest that wrote its disk before it is restored by re-execution, from
// the image as it was at boot). Otherwise `why_not` says why.
bool can_load(vmm::Vm& vm, const LoadedSnapshot& loaded, std::string* why_not = nullptr);
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
// By cycles: an instruction boundary at or after `cycles`, where CycleStepper's steps or
// the machine's cycle bound (Machine::set_pause_at_cycles: within kPauseGranularity
// instructions, or at once after a halted processor's idle skip) stop (the file records
// the exact counts).
bool run_to_instructions(vmm::Vm& vm, uint64_t instructions);
bool run_to_cycles(vmm::Vm& vm, uint64_t cycles);
// One step of at most `instructions` (at least one), telling `stepper` what it took.
void run_step(vmm::Vm& vm, uint64_t instructions, CycleStepper& stepper);

// --snapshot-every: a base snapshot, then incremental ones holding only the pages written
// since the one before (docs/snapshots.md, "Incremental snapshots"), found by write tracking,
// not by comparing memory: the engine's dirty log (every store of the processor to RAM, every
// physical write of a device or monitor; it changes nothing in the run), or with
// `mode_tracking` the mode's own (vmm::WriteTracker: shadow or nested write protection,
// as live migration's pre-copy uses it), whose faults are charged to the guest as on a real
// monitor. The monitor's own frames (the reserve below the guest's) are compared with a copy
// of them instead: no tracking of the guest's writes covers them. Each incremental file names
// its mechanism in its DIFF section.
inline constexpr uint32_t kDiffInfo = tag("DIFF");

struct DiffInfo {
  std::string tracking;          // "engine dirty log", "shadow write protection", ...
  uint64_t pages_logged = 0;     // the pages the tracking logged (all of them are in MEM)
  uint64_t tracking_faults = 0;  // write faults the mode's tracking took since the parent
};
Section diff_section(const DiffInfo& d);
// The DIFF section of `f` (nothing in a full snapshot); malformed: nullopt.
std::optional<DiffInfo> diff_info(const SnapshotFile& f);

class IncrementalSeries {
 public:
  struct Taken {
    std::string path;
    bool base = false;
    uint64_t pages = 0;    // machine-memory pages in the file
    uint64_t bytes = 0;    // the file's size
    std::string tracking;  // how an incremental one's pages were found
  };
  IncrementalSeries(std::string dir, Identity id, bool mode_tracking = false)
      : dir_(std::move(dir)), id_(std::move(id)), mode_tracking_(mode_tracking) {}
  ~IncrementalSeries();
  IncrementalSeries(const IncrementalSeries&) = delete;
  IncrementalSeries& operator=(const IncrementalSeries&) = delete;
  // Fails (ENOTSUP) with mode tracking in a mode that has none.
  machine::Result<Taken> take(vmm::Vm& vm);
  unsigned count() const { return count_; }

 private:
  // The machine frames written since the last take (the tracking is armed again); `logged`:
  // the guest's among them.
  std::vector<uint32_t> written_pages(vmm::Vm& vm, uint64_t& logged);
  // After a take: the copy of the monitor's frames, the engine log cleared, the tracking
  // protecting the frames again.
  void rearm(vmm::Vm& vm);
  // The frames of the mode's reserve below the guest's (none without a P2M).
  static size_t monitor_frames(const vmm::Vm& vm);

  std::string dir_;
  Identity id_;
  bool mode_tracking_ = false;
  vmm::WriteTracker* tracker_ = nullptr;  // tracking (mode_tracking_), from the base on
  uint64_t faults_before_ = 0;
  std::vector<uint8_t> monitor_copy_;  // the monitor's frames at the last take
  std::vector<uint8_t> zero_;          // per machine page: all zeros at the last take
  unsigned count_ = 0;
  std::string previous_name_;
  Digest previous_digest_{};
};

}  // namespace vmlab::snapshot
