// The grid of `vmlab sweep` (docs/sweep.md): modes x workloads (with their arguments and
// iterations) x profiles x --cost override sets, read from a JSON file.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vmlab::frontend::sweep {

struct GridWorkload {
  std::string name;
  std::string args;    // more words for the guest's command line ("child_touch=22")
  uint64_t iters = 0;  // 0: the workload's quick count
};

using CostSet = std::vector<std::pair<std::string, uint64_t>>;

struct Grid {
  std::vector<std::string> modes;  // variant names (frontend/variants.h)
  std::vector<GridWorkload> workloads;
  std::vector<std::string> profiles;
  std::vector<CostSet> costs;  // at least one set; {} is the profile as it is
  std::string disk;            // the disk workloads' image (a copy per boot); empty: scratch
};

// Reads and checks a grid: known modes and workloads, counts in range, no unknown keys.
bool parse_grid(const std::string& text, Grid& grid, std::string& error);

}  // namespace vmlab::frontend::sweep
