// Guest instructions per second of host time, on the benchmark kernel
// (tests/kernels/bench): a compute loop in ring 0, and ring-3 null system calls through
// an int 0x80 gate with a 1 kHz timer. The figures go to docs/performance.md with the
// command that produced them.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "engine/machine/machine.h"

namespace {

std::unique_ptr<vmlab::machine::Machine> boot(const std::string& workload) {
  vmlab::machine::MachineConfig config;
  config.memory_mib = 16;
  config.cmdline = std::string(VMLAB_BENCH_KERNEL) + " " + workload;
  auto created = vmlab::machine::Machine::create(std::move(config));
  if (!created) return nullptr;
  auto m = std::move(created.value());
  if (!m->load_kernel(VMLAB_BENCH_KERNEL)) return nullptr;
  return m;
}

// Runs the kernel's endless loop for `slice` instructions per benchmark iteration.
void run_guest(benchmark::State& state, const std::string& workload) {
  auto m = boot(workload);
  if (!m) {
    state.SkipWithError("cannot boot the benchmark kernel");
    return;
  }
  const uint64_t slice = static_cast<uint64_t>(state.range(0));
  uint64_t budget = 0;
  uint64_t retired = 0;
  for (auto _ : state) {
    budget += slice;
    m->set_max_instructions(budget);
    const auto r = m->run();
    if (r.reason != vmlab::machine::StopReason::kBudgetExhausted) {
      state.SkipWithError(("guest stopped: " + r.message).c_str());
      return;
    }
    retired = r.instructions;
  }
  state.counters["guest_ips"] =
      benchmark::Counter(static_cast<double>(retired), benchmark::Counter::kIsRate);
}

void BM_GuestCompute(benchmark::State& state) {
  run_guest(state, "compute");
}
void BM_GuestSyscallInterrupt(benchmark::State& state) {
  run_guest(state, "syscall");
}

BENCHMARK(BM_GuestCompute)->Arg(20'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GuestSyscallInterrupt)->Arg(20'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
