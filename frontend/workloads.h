// The guest's workloads (docs/guest.md, "Workloads") in the guest's own order, with the
// iteration counts `vmlab compare` uses by default: the guest's quick counts (its
// `run=all` column), small enough that a native sweep of every workload takes seconds.
// tests/cli/workloads_match_guest.py checks it against guest/user/workloads.c.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vmlab::frontend {

struct Workload {
  std::string_view name;
  uint64_t default_iters;
  // Runs on the guest's file system (docs/guest.md, "Disk workloads"): a run given no disk
  // gets a scratch image (frontend/scratch_disk.h).
  bool needs_disk = false;
};

// One workload a line, in the guest's order.
// clang-format off
inline constexpr std::array<Workload, 24> kWorkloads = {{
    {"syscall", 1000},
    {"in", 1000},
    {"irqmask", 1000},
    {"tpr", 1000},
    {"callret", 10000},
    {"pgfault", 500},
    {"divzero", 500},
    {"ptemod", 1000},
    {"ptemod_same", 1000},
    {"nullcall", 1000},
    {"nullio", 1000},
    {"ctxsw", 200},
    {"forkexit", 50},
    {"forkexec", 20},
    {"pagefault", 256},
    {"mmap", 50},
    {"protfault", 500},
    {"forkwait", 200},
    {"compute", 2},
    {"diskread", 1, true},
    {"diskwrite", 1, true},
    {"diskrand", 8, true},
    {"filecreate0", 4, true},
    {"filecreate10", 2, true},
}};
// clang-format on

inline const Workload* find_workload(std::string_view name) {
  for (const Workload& w : kWorkloads) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

// Whether `run=` words in a guest command line name a disk workload (`vmlab run` gives
// those a scratch disk when it has none).
inline bool cmdline_needs_disk(std::string_view cmdline) {
  for (size_t at = 0; (at = cmdline.find("run=", at)) != std::string_view::npos; at += 4) {
    if (at != 0 && cmdline[at - 1] != ' ') continue;
    std::string_view name = cmdline.substr(at + 4);
    name = name.substr(0, name.find(' '));
    if (const Workload* w = find_workload(name); w != nullptr && w->needs_disk) return true;
  }
  return false;
}

}  // namespace vmlab::frontend
