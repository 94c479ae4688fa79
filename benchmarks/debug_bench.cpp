// Google Benchmark of the gdb stub's run control (docs/performance.md, "The gdb stub"):
// the guest OS's syscall workload (iters=1000) under native mode, continued to its exit
// through DebugTarget::resume, without breakpoints (the guest runs in chunks) and with one
// breakpoint that is never hit (the stub steps every instruction and looks at the guest's
// EIP after each). Host time per run; creating the machine and loading the image not timed.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "engine/debug/debug_target.h"
#include "engine/vmm/core/vm.h"

namespace {

using namespace vmlab;

void BM_GdbContinue(benchmark::State& state) {
  const bool breakpoint = state.range(0) != 0;
  uint64_t instructions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    vmm::VmConfig config;
    config.machine.memory_mib = 32;
    config.machine.cmdline = std::string(VMLAB_GUEST_KERNEL) + " run=syscall iters=1000";
    auto vm = vmm::Vm::create(std::move(config)).value();
    if (auto ok = vm->load_kernel(VMLAB_GUEST_KERNEL); !ok) {
      state.SkipWithError(ok.error().message.c_str());
      return;
    }
    debug::DebugTarget target(*vm);
    if (breakpoint) target.insert(0, 0x1234, 1);
    state.ResumeTiming();
    while (!target.exited()) target.resume([] { return false; });
    instructions += vm->last_stop()->instructions;
  }
  state.counters["guest_insns_per_s"] =
      benchmark::Counter(static_cast<double>(instructions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GdbContinue)->Arg(0)->Arg(1)->ArgName("breakpoint")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
