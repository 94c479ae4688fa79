// Google Benchmark of binary translation (docs/performance.md, "Binary translation"):
//   translator: guest kernel instructions translated per second of host time (Capstone
//     decode, IR, asmjit emission, commit into the TC): the guest OS's .text, unit by unit,
//     translated from the start again after each pass (the TC flushed);
//   run/compute: the whole guest OS booted and running the `compute` workload under
//     --mode bt and under --mode native, host time per run (the guest's boot included;
//     creating the machine and loading the image not), user code running directly.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "benchmarks/guest_vm.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"

namespace {

using namespace vmlab;

// The guest kernel's .text, as the Multiboot loader puts it: physical 0x100010 up (the
// guest's paging is off before it runs, so linear = physical).
constexpr uint32_t kTextStart = 0x00100010;
constexpr uint32_t kTextBytes = 0x5000;

void BM_Translator(benchmark::State& state) {
  vmm::VmConfig config;
  config.machine.memory_mib = 32;
  config.mode = std::make_unique<modes::bt::BtMode>();
  auto vm = vmm::Vm::create(std::move(config)).value();
  if (auto ok = vm->load_kernel(VMLAB_GUEST_KERNEL); !ok) {
    state.SkipWithError(ok.error().message.c_str());
    return;
  }
  auto* monitor = static_cast<modes::bt::BtMode&>(vm->mode_impl()).monitor();
  modes::bt::Translator& t = monitor->translator();
  uint64_t insns = 0;
  for (auto _ : state) {
    monitor->cache().flush();
    uint32_t eip = kTextStart;
    while (eip < kTextStart + kTextBytes) {
      const auto r = t.translate(eip);
      if (r.status != modes::bt::Translator::Attempt::Status::kOk) {
        ++eip;
        continue;
      }
      insns += r.insns;
      eip += r.bytes_in;
    }
  }
  state.counters["guest_insns_per_s"] =
      benchmark::Counter(static_cast<double>(insns), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Translator)->Unit(benchmark::kMillisecond);

void run_compute(benchmark::State& state, bool bt) {
  for (auto _ : state) {
    // Creating the machine and loading the image (which touches all of guest RAM) is not
    // timed: only the run, boot of the guest kernel included.
    state.PauseTiming();
    auto vm = bench::guest_vm(state, "run=compute iters=" + std::to_string(state.range(0)),
                              bt ? std::make_unique<modes::bt::BtMode>() : nullptr, 64);
    if (!vm) return;
    state.ResumeTiming();
    const auto r = vm->run();
    benchmark::DoNotOptimize(r.instructions);
  }
}
void BM_RunComputeNative(benchmark::State& state) {
  run_compute(state, false);
}
void BM_RunComputeBt(benchmark::State& state) {
  run_compute(state, true);
}
// iters=20 is the workload's default: a short run in which booting the guest kernel (all of
// it translated once under bt) weighs as much as the computation; iters=200 is the steady
// state, where the user-mode computation that bt runs directly dominates.
BENCHMARK(BM_RunComputeNative)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunComputeBt)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
