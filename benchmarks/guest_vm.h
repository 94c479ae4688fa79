// The guest OS ready to run under a mode, for benchmarks that time whole runs: the machine
// created and the image loaded (which touches all of guest RAM) are not timed by callers,
// which call this between PauseTiming() and ResumeTiming().
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "engine/vmm/core/vm.h"

namespace vmlab::bench {

// `workload`: the guest's command line after its name ("run=compute iters=20"). Nothing
// (and the benchmark skipped with the error) when the image does not load.
inline std::unique_ptr<vmm::Vm> guest_vm(benchmark::State& state, const std::string& workload,
                                         std::unique_ptr<vmm::Mode> mode, uint32_t memory_mib) {
  vmm::VmConfig config;
  config.machine.memory_mib = memory_mib;
  config.machine.cmdline = "vmlab_guest.elf " + workload;
  config.mode = std::move(mode);
  auto vm = vmm::Vm::create(std::move(config)).value();
  if (auto ok = vm->load_kernel(VMLAB_GUEST_KERNEL); !ok) {
    state.SkipWithError(ok.error().message.c_str());
    return nullptr;
  }
  return vm;
}

}  // namespace vmlab::bench
