// CellRunner: one runner for every grid of measurements (`vmlab compare`, `vmlab
// reproduce`): a list of cells, each one (variant, workload, iterations, profile, guest
// arguments) measured by CompareRunner, run in parallel worker processes (by default one
// per core). Each cell is measured in its own forked process, whose Measurement comes back
// through a pipe; results are returned in the cells' order, so the output never depends on
// which worker finished first: a run with -j 1 and one with -j 8 print the same bytes.
//
// Threads: the workers are fork()ed, and a child runs only vmlab's own code before _exit,
// so a caller with other threads (a Qt GUI) is safe as long as those threads hold no lock
// the engine needs (the allocator's are reset by glibc at fork). Call run() from one
// thread; it blocks until every cell is measured. jobs = 1 measures in this process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/vmm/core/cost_profile.h"
#include "frontend/compare_runner.h"
#include "frontend/variants.h"

namespace vmlab::frontend {

struct Cell {
  const Variant* variant = nullptr;
  std::string workload;
  uint64_t iters = 0;
  std::string profile;     // the profile's key in CellRunner's profile list
  std::string guest_args;  // more words for the guest's command line, empty for none
};

// Where the runner remembers each cell's host CPU time between runs:
// $XDG_CACHE_HOME/vmlab/cell-times.tsv (~/.cache/... without it); empty when neither is
// set.
std::string default_cell_times_file();

struct CellRunnerConfig {
  std::string kernel;
  uint32_t memory_mib = 128;
  uint32_t cpu_mhz = 1000;
  unsigned jobs = 0;  // worker processes; 0: one per core
  // The cells' host CPU times of earlier runs (CellTimes); empty: none kept.
  std::string times_file = default_cell_times_file();
};

// The host CPU seconds each cell took when it last ran, by a key naming everything that
// decides the work (variant, workload, iterations, profile, guest arguments, memory,
// clock, image file name). The parallel runner starts the cells it expects to take
// longest first, so that the last worker to finish is not still busy with a long cell
// that started late; the order decides nothing else (results come back in the cells'
// order). A file of one `seconds<TAB>key` line per cell, merged and replaced atomically
// at the end of each run, so concurrent runs at worst lose each other's updates.
class CellTimes {
 public:
  static std::string key(const Cell& cell, const CellRunnerConfig& config);
  // An unreadable or missing file is an empty table.
  void load(const std::string& path);
  // Merges this table into the file's current contents and replaces it; false when it
  // cannot be written (the cache is an optimisation: callers go on).
  bool save(const std::string& path) const;
  const double* find(const std::string& key) const;
  void set(const std::string& key, double seconds) { seconds_[key] = seconds; }
  size_t size() const { return seconds_.size(); }

 private:
  std::map<std::string, double> seconds_;
};

// What the runner expects a cell to cost, in host CPU seconds: its time in `times`, else
// a prior from the workload (a disk workload boots on a scratch disk and moves sectors
// through the emulated controller: about ten times an ordinary cell).
double estimated_seconds(const Cell& cell, const CellRunnerConfig& config, const CellTimes& times);
// The order the parallel runner starts the cells in: longest expected first, the grid's
// order among equals.
std::vector<size_t> longest_first(const std::vector<Cell>& cells, const CellRunnerConfig& config,
                                  const CellTimes& times);

// Called after each cell with (cells done, cells in all, seconds since the start).
using CellProgress = std::function<void(size_t done, size_t total, double seconds)>;
// Called with each cell's index and result as soon as it is measured (a sweep saves it at
// once, so an interrupted sweep keeps what finished).
using CellResult = std::function<void(size_t index, const Measurement& m)>;

class CellRunner {
 public:
  explicit CellRunner(CellRunnerConfig config) : config_(std::move(config)) {}

  // Makes `profile` known under `key` (a cell names its profile by key).
  void add_profile(const std::string& key, vmm::CostProfile profile);
  // The image the disk workloads' boots run on (each on a copy of its own); by default
  // (empty) each gets a fresh, empty vmlabfs scratch disk.
  void set_disk_image(std::string image) { disk_image_ = std::move(image); }

  // Measures every cell; the result i belongs to cells[i]. With one job, or one cell, the
  // cells run in this process, one after the other.
  std::vector<Measurement> run(const std::vector<Cell>& cells, const CellProgress& progress = {},
                               const CellResult& on_result = {}) const;

  // The number of workers `jobs` = 0 means: the processors this process may run on.
  static unsigned default_jobs();

 private:
  Measurement measure(const Cell& cell) const;
  std::vector<std::pair<std::string, vmm::CostProfile>> profiles_;
  CellRunnerConfig config_;
  std::string disk_image_;
};

// "[12/204] 3.1 s, ETA 9 s": the progress line front ends print on stderr.
std::string progress_line(size_t done, size_t total, double seconds);

// Measurement to bytes and back (the pipe between a worker and the runner). Exact: doubles
// travel as their bits.
std::string serialize(const Measurement& m);
bool deserialize(const std::string& bytes, Measurement& m);

}  // namespace vmlab::frontend
