// CompareRunner: the measurements behind `vmlab compare`. For every (mode, workload) it
// boots the guest twice, with iters=N and iters=2N:
//   - cycles per operation come from the guest's own result line (RDTSC around the loop,
//     as the papers measured), taken from the 2N run;
//   - event counts per operation come from the difference of the two runs' counters,
//     divided by N. Boot, the workload's setup and the shutdown happen once in each run,
//     so they cancel and only the N extra operations remain (the differential method).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/machine/run_result.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/mode.h"

namespace vmlab::frontend {

struct Measurement {
  vmm::ModeId mode;
  // The variant as `--modes` names it: the mode's name, or trap-npt / trap-classic
  // (docs/cli.md). Printed in the mode column.
  std::string label;
  std::string workload;
  uint64_t iters = 0;  // N; the second run used 2N
  // Set when both runs succeeded.
  bool ok = false;
  // Set when the guest skipped the workload (a disk workload with no usable file system,
  // as under pv without a block device): `error` holds the guest's reason. Not a failure.
  bool skipped = false;
  std::string error;                  // why not, one line
  machine::RunResult failed_run;      // the run that failed (for the exit status)
  double cycles_per_op = 0;           // guest-measured, from the 2N run
  std::string guest_cycles_per_iter;  // as the guest printed it
  double modeled_cycles_per_op = 0;   // (cycles(2N) - cycles(N)) / N, whole machine
  double instructions_per_op = 0;     // (instructions(2N) - instructions(N)) / N
  std::array<double, vmm::kNumEventKinds> events_per_op{};
  // Cycles charged per operation to each event kind, by the same difference (the overhead
  // breakdown by source, as Adams & Agesen's Fig. 5).
  std::array<double, vmm::kNumEventKinds> event_cycles_per_op{};
  // The processor's page walks per operation, by the same difference: TLB misses and the
  // paging-structure entries they read (cpu::Cpu::walk_references), for the page-table
  // references per TLB miss of Bhargava et al. 2008.
  double tlb_misses_per_op = 0;
  double walk_references_per_op = 0;
  // The disk workloads (docs/guest.md, "Disk workloads"), from the guest's result line: the
  // bytes and file-system calls of one operation (0 for the other workloads; the disk's own
  // requests are events_per_op's blk_request), and for filecreate the create and delete
  // halves of cycles_per_op.
  double bytes_per_op = 0;
  double requests_per_op = 0;
  double create_cycles_per_op = 0;
  double delete_cycles_per_op = 0;
  // Notifications to the PV block back end per operation (ring_notify events on the block
  // ring from the front end; the divisor of the batching factor, as blk_back counts it).
  double blk_notifications_per_op = 0;
};

class CompareRunner {
 public:
  using Progress = std::function<void(const std::string& line)>;

  // `guest_args`: more words for the guest's command line after run= and iters= (a
  // workload's parameters, docs/guest.md), empty for none.
  // `disk_image`: the image a disk workload's boots run on (each on a copy of its own),
  // empty for a fresh empty vmlabfs scratch disk.
  CompareRunner(std::string kernel, vmm::CostProfile profile, uint32_t memory_mib, uint32_t cpu_mhz,
                std::string guest_args = {}, std::string disk_image = {})
      : kernel_(std::move(kernel)),
        profile_(std::move(profile)),
        memory_mib_(memory_mib),
        cpu_mhz_(cpu_mhz),
        guest_args_(std::move(guest_args)),
        disk_image_(std::move(disk_image)) {}

  // Measures one workload in one (implemented) mode. `step` and `steps` number the runs
  // for the progress line.
  Measurement measure(vmm::ModeId mode, const vmm::ModeOptions& options, const std::string& label,
                      const std::string& workload, uint64_t iters, const Progress& progress,
                      unsigned& step, unsigned steps) const;

 private:
  std::string kernel_;
  vmm::CostProfile profile_;
  uint32_t memory_mib_;
  uint32_t cpu_mhz_;
  std::string guest_args_;
  std::string disk_image_;
};

}  // namespace vmlab::frontend
