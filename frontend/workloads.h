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
};

inline constexpr std::array<Workload, 17> kWorkloads = {{
    {"syscall", 1000},
    {"in", 1000},
    {"irqmask", 1000},
    {"callret", 10000},
    {"pgfault", 500},
    {"divzero", 500},
    {"ptemod", 1000},
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
}};

inline const Workload* find_workload(std::string_view name) {
  for (const Workload& w : kWorkloads) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace vmlab::frontend
