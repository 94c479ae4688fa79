// Google Benchmark of the deprivileged monitors' write emulation (docs/performance.md,
// "Emulated stores on traced pages"): the whole guest OS booted and running `ptemod_same`
// (a PTE rewritten unchanged, no INVLPG, in the kernel) under --mode trap --cpu classic,
// where each rewrite is a write fault on the traced page table that the monitor executes
// once on the scratch processor (engine/vmm/kit/scratch_execution.h), host time per run
// (the guest's boot included; creating the machine and loading the image not).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "benchmarks/guest_vm.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace {

using namespace vmlab;

void BM_RunPtemodSameClassic(benchmark::State& state) {
  uint64_t emulated = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto vm = bench::guest_vm(state, "run=ptemod_same iters=" + std::to_string(state.range(0)),
                              std::make_unique<modes::TrapMode>(), 64);
    if (!vm) return;
    state.ResumeTiming();
    const auto r = vm->run();
    benchmark::DoNotOptimize(r.instructions);
    emulated += vm->recorder().counters().count_of(vmm::EventKind::emulated_insn);
  }
  state.counters["emulated_per_s"] =
      benchmark::Counter(static_cast<double>(emulated), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RunPtemodSameClassic)->Arg(20000)->Unit(benchmark::kMillisecond);

// forkwait under --mode bt: the guest kernel clears page-table pages with REP STOS while
// they are traced, which the monitor emulates on the scratch processor up to 16384 stores
// at a time (every store logged, and kept in the scratch's overlay of written bytes for
// the instruction's later reads).
void BM_RunForkwaitBt(benchmark::State& state) {
  uint64_t emulated = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto vm = bench::guest_vm(state, "run=forkwait iters=" + std::to_string(state.range(0)),
                              std::make_unique<modes::bt::BtMode>(), 64);
    if (!vm) return;
    state.ResumeTiming();
    const auto r = vm->run();
    benchmark::DoNotOptimize(r.instructions);
    emulated += vm->recorder().counters().count_of(vmm::EventKind::emulated_insn);
  }
  state.counters["emulated_per_s"] =
      benchmark::Counter(static_cast<double>(emulated), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RunForkwaitBt)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
