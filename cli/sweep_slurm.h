// `vmlab sweep --slurm`: the sweep as a Slurm job array (one task per chunk of cells, each
// `vmlab sweep --cells A-B`) and a collect job that runs after it (`vmlab sweep --collect`).
// docs/sweep.md describes the scripts.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace vmlab::cli {

struct SlurmPlan {
  std::filesystem::path vmlab;  // this executable, absolute
  std::filesystem::path out;    // the sweep's folder, absolute; the grid is out/grid.json
  std::string kernel;           // the guest image, absolute
  size_t cells = 0;             // the grid's cell count
  size_t chunk = 1;             // cells per array task
  unsigned jobs = 1;            // worker processes (and CPUs) per task
  std::string partition;        // empty: the cluster's default
  std::string time;             // sbatch --time for every job; empty: the partition's default
  std::string mem;              // sbatch --mem; empty: the cluster's default
  std::string account;          // sbatch --account; empty: the user's default
  bool dry_run = false;         // write the scripts only
  bool quiet = false;
};

// Writes out/slurm/sweep.sbatch and out/slurm/collect.sbatch and, unless dry_run, submits
// them with `sbatch --parsable` (the collect job with --dependency=afterok:ARRAY). Prints
// the job ids on stdout. Returns the exit status (with the message printed on failure).
int slurm_submit(const SlurmPlan& plan);

}  // namespace vmlab::cli
