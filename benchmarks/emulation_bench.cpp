// Google Benchmark of the deprivileged monitors' write emulation (docs/performance.md,
// "Emulated stores on traced pages"): the whole guest OS booted and running `ptemod_same`
// (a PTE rewritten unchanged, no INVLPG, in the kernel) under --mode trap --cpu classic,
// where each rewrite is a write fault on the traced page table that the monitor executes
// once on the scratch processor (engine/vmm/kit/scratch_execution.h), host time per run
// (the guest's boot included; creating the machine and loading the image not); and stores
// next to a guest GDT on its traced page, under classic and bt (BM_GdtPageStores*).
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

// Stores next to the guest's GDT, on its traced page, as Linux's decompressor makes them
// (docs/outside-kernels.md, "Why classic and bt are slower"): a tiny guest loads a GDT at
// 0x6000 and stores ECX to 0x6800 `range(0)` times from one loop. Under --mode trap --cpu
// classic each store is a write fault whose MOV the monitor performs itself
// (PrivilegedEmulator::plain_store); under --mode bt the guilty store runs in the TC
// (in_tc_pte_write.cpp, kind table_write). Host time per run; stores_per_s counts them.
template <class Mode>
void gdt_page_stores(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  uint64_t stores = 0;
  for (auto _ : state) {
    state.PauseTiming();
    vmm::VmConfig config;
    config.machine.memory_mib = 4;
    auto mode = std::make_unique<Mode>();
    Mode* m = mode.get();
    config.mode = std::move(mode);
    auto vm = vmm::Vm::create(std::move(config));
    if (!vm.ok()) {
      state.SkipWithError(vm.error().message.c_str());
      return;
    }
    auto monitor = m->attach(*vm.value());
    if (!monitor.ok()) {
      state.SkipWithError(monitor.error().message.c_str());
      return;
    }
    vmm::GuestMemory& mem = monitor.value()->memory();
    const uint64_t flat_code = 0x00CF9A000000FFFFull, flat_data = 0x00CF92000000FFFFull;
    mem.write_phys32(0x6008, static_cast<uint32_t>(flat_code));
    mem.write_phys32(0x600C, static_cast<uint32_t>(flat_code >> 32));
    mem.write_phys32(0x6010, static_cast<uint32_t>(flat_data));
    mem.write_phys32(0x6014, static_cast<uint32_t>(flat_data >> 32));
    mem.write_phys32(0x6100, 0x17 | 0x6000u << 16);  // the LGDT operand: limit, base
    mem.write_phys32(0x6104, 0);
    const uint8_t code[] = {0xBC,
                            0x00,
                            0x80,
                            0x00,
                            0x00,  // mov esp, 0x8000
                            0x0F,
                            0x01,
                            0x15,
                            0x00,
                            0x61,
                            0x00,
                            0x00,  // lgdt [0x6100]
                            0xBB,
                            0x00,
                            0x68,
                            0x00,
                            0x00,  // mov ebx, 0x6800
                            0xB9,
                            static_cast<uint8_t>(n),
                            static_cast<uint8_t>(n >> 8),
                            static_cast<uint8_t>(n >> 16),
                            static_cast<uint8_t>(n >> 24),  // mov ecx, n
                            0x89,
                            0x0B,
                            0x49,
                            0x75,
                            0xFB,  // L: mov [ebx], ecx; dec ecx; jnz L
                            0xB0,
                            0x00,
                            0xE6,
                            0xF4};  // mov al,0; out 0xF4,al
    for (uint32_t i = 0; i < sizeof code; ++i) mem.write_phys8(0x1000 + i, code[i]);
    monitor.value()->start(0x1000, 0, 0);
    state.ResumeTiming();
    const auto r = vm.value()->run();
    benchmark::DoNotOptimize(r.instructions);
    if (r.reason != machine::StopReason::kExitPort) state.SkipWithError(r.message.c_str());
    stores += n;
  }
  state.counters["stores_per_s"] =
      benchmark::Counter(static_cast<double>(stores), benchmark::Counter::kIsRate);
}

void BM_GdtPageStoresClassic(benchmark::State& state) {
  gdt_page_stores<modes::TrapMode>(state);
}
BENCHMARK(BM_GdtPageStoresClassic)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_GdtPageStoresBt(benchmark::State& state) {
  gdt_page_stores<modes::bt::BtMode>(state);
}
BENCHMARK(BM_GdtPageStoresBt)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
