// Google Benchmark of the monitors' commonest event, port I/O (docs/performance.md, "Where
// `vmlab compare` spends its host time"): the whole guest OS booted and running the `in`
// workload (an `in al, 0x80` loop in the kernel) under --mode trap with the VT CPU, where
// every IN is a VM exit for I/O, and under --mode trap --cpu classic, where the kernel runs
// in ring 1 and every IN is a #GP that the monitor emulates. Host time per run (the guest's
// boot included; creating the machine and loading the image not); `port_io_per_s` counts
// the port accesses the monitor handled (EventKind::port_io), boot's included.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "benchmarks/guest_vm.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace {

using namespace vmlab;

void run_in(benchmark::State& state, vmm::ModeOptions::Cpu cpu) {
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    vmm::ModeOptions options;
    options.cpu = cpu;
    auto mode = modes::make(vmm::ModeId::trap, options);
    if (!mode) {
      state.SkipWithError(mode.error().message.c_str());
      return;
    }
    auto vm = bench::guest_vm(state, "run=in iters=" + std::to_string(state.range(0)),
                              std::move(mode.value()), 64);
    if (!vm) return;
    state.ResumeTiming();
    const auto r = vm->run();
    benchmark::DoNotOptimize(r.instructions);
    events += vm->recorder().counters().count_of(vmm::EventKind::port_io);
  }
  state.counters["port_io_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_RunInTrapVt(benchmark::State& state) {
  run_in(state, vmm::ModeOptions::Cpu::kVt);
}
void BM_RunInClassic(benchmark::State& state) {
  run_in(state, vmm::ModeOptions::Cpu::kClassic);
}
BENCHMARK(BM_RunInTrapVt)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunInClassic)->Arg(20000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
