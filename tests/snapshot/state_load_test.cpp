// Loading a snapshot's state straight into a new machine (engine/snapshot/state_load.h,
// docs/snapshots.md "Loading a snapshot"): N instructions, capture, load into a NEW Vm and
// run on gives the console, event counters, instructions, budget units, modeled cycles and
// final registers of the run that was never stopped, in every mode that can load its
// monitor's state, at points mid-workload and with console input pending. And hostile
// state sections are refused, never crash.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/snapshot/state_load.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/vm.h"
#include "frontend/variants.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/registry.h"

namespace vmlab::snapshot {
namespace {

using frontend::Variant;

// The six variants, as `vmlab compare` names them (frontend/variants.h).
std::span<const Variant> variants() {
  return frontend::all_variants();
}

const Variant& variant(const std::string& name) {
  const Variant* v = frontend::find_variant(name);
  EXPECT_NE(v, nullptr) << name;
  return *v;
}

std::unique_ptr<vmm::Vm> make_vm(const Variant& v, const std::string& args,
                                 const std::string& input = {}) {
  auto mode = modes::make(v.mode, v.options);
  EXPECT_TRUE(mode.ok()) << mode.error().message;
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  auto profile = vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  config.profile = profile.value();
  config.machine.memory_mib = 32;
  config.machine.cpu_mhz = 100;  // timer interrupts land inside the runs
  config.machine.cmdline = "vmlab_guest " + args;
  if (!input.empty()) config.machine.input = machine::ConsoleInput::from_string(input);
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok()) << vm.error().message;
  auto loaded = vm.value()->load_kernel(VMLAB_GUEST_KERNEL);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
  return std::move(vm.value());
}

struct Outcome {
  machine::RunResult result;
  std::string console;
  vmm::EventCounters counters;
  uint64_t events = 0;
  cpu::CpuState regs;
  uint64_t tlb_hits = 0, tlb_misses = 0, walk_refs = 0, vm_exits = 0;
};

Outcome outcome(const vmm::Vm& vm) {
  const cpu::Cpu& c = vm.machine().cpu();
  return {*vm.last_stop(),
          vm.machine().console_output(),
          vm.recorder().counters(),
          vm.recorder().events_recorded(),
          c.state(),
          c.tlb_hits(),
          c.tlb_misses(),
          c.walk_references(),
          c.vm_exits()};
}

void expect_same(const Outcome& a, const Outcome& b, const std::string& what) {
  EXPECT_EQ(a.result.reason, b.result.reason) << what;
  EXPECT_EQ(a.result.exit_value, b.result.exit_value) << what;
  EXPECT_EQ(a.result.instructions, b.result.instructions) << what;
  EXPECT_EQ(a.result.budget_units, b.result.budget_units) << what;
  EXPECT_EQ(a.result.cycles, b.result.cycles) << what;
  EXPECT_EQ(a.console, b.console) << what;
  EXPECT_EQ(a.counters.count, b.counters.count) << what;
  EXPECT_EQ(a.counters.cycles, b.counters.cycles) << what;
  EXPECT_EQ(a.events, b.events) << what;
  EXPECT_EQ(0, std::memcmp(a.regs.gpr, b.regs.gpr, sizeof a.regs.gpr)) << what;
  EXPECT_EQ(a.regs.eip, b.regs.eip) << what;
  EXPECT_EQ(a.regs.eflags, b.regs.eflags) << what;
  EXPECT_EQ(a.regs.cr3, b.regs.cr3) << what;
  EXPECT_EQ(a.tlb_hits, b.tlb_hits) << what;
  EXPECT_EQ(a.tlb_misses, b.tlb_misses) << what;
  EXPECT_EQ(a.walk_refs, b.walk_refs) << what;
  EXPECT_EQ(a.vm_exits, b.vm_exits) << what;
}

struct Saved {
  std::vector<Section> sections;
  std::vector<uint8_t> memory;
};

// Runs a new Vm N instructions and captures it; false when it stopped first.
bool save_at(const Variant& v, const std::string& args, const std::string& input, uint64_t n,
             Saved& out) {
  auto vm = make_vm(v, args, input);
  if (n > 0 && vm->run_for(n) != vmm::VmState::kPaused) return false;
  out.sections = capture_state(*vm);
  const auto mem = vm->machine().memory().span();
  out.memory.assign(mem.begin(), mem.end());
  return true;
}

// N + M straight against N, load into a new Vm, M: in every mode that can load.
void check_exact(const std::string& args, const std::string& input,
                 const std::vector<uint64_t>& points, const char* expect_stop_text) {
  for (const Variant& v : variants()) {
    auto probe = make_vm(v, args, input);
    if (!can_load_state(*probe)) continue;
    auto whole = make_vm(v, args, input);
    whole->run();
    const Outcome straight = outcome(*whole);
    EXPECT_NE(straight.console.find(expect_stop_text), std::string::npos)
        << v.name << ": " << straight.console;
    for (uint64_t n : points) {
      const std::string what = std::string(v.name) + " at " + std::to_string(n);
      ASSERT_LT(n, straight.result.instructions) << what;
      Saved saved;
      ASSERT_TRUE(save_at(v, args, input, n, saved)) << what;
      auto restored = make_vm(v, args, input);
      auto pos = load_state(*restored, saved.sections, saved.memory, "test");
      ASSERT_TRUE(pos.ok()) << what << ": " << pos.error().message;
      EXPECT_EQ(pos.value().instructions, n) << what;
      EXPECT_EQ(restored->machine().cpu().instructions_retired(), n) << what;
      restored->run();
      expect_same(straight, outcome(*restored), what);
    }
  }
}

TEST(StateLoad, NativeCanLoad) {
  EXPECT_TRUE(can_load_state(*make_vm(variant("native"), "run=syscall iters=10")));
}

TEST(StateLoad, WorkloadsGoOnExactlyAfterALoad) {
  check_exact("run=all iters=2", "", {1, 3000, 250000, 777777, 1500000}, "done status=0");
}

TEST(StateLoad, ShellWithConsoleInputPendingGoesOnExactly) {
  // The shell reads its commands from the UART: points while they are being typed in,
  // read, and run.
  check_exact("run=shell", "help\nsyscall 20\nexit 3\n", {20000, 150000, 400000, 900000}, "exit");
}

TEST(StateLoad, RefusesWhatItCannotLoad) {
  const Variant& native = variant("native");
  Saved saved;
  ASSERT_TRUE(save_at(native, "run=syscall iters=50", "", 5000, saved));
  {  // into a machine that has run
    auto vm = make_vm(native, "run=syscall iters=50");
    vm->run_for(10);
    EXPECT_FALSE(load_state(*vm, saved.sections, saved.memory, "t").ok());
  }
  {  // memory of another size
    auto vm = make_vm(native, "run=syscall iters=50");
    std::vector<uint8_t> small(saved.memory.begin(), saved.memory.begin() + 4096);
    auto r = load_state(*vm, saved.sections, small, "t");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kErrMismatch);
  }
  for (uint32_t t : {kCpuInternal, kMachineState, kVmState, kMonitor, kPosition}) {
    auto vm = make_vm(native, "run=syscall iters=50");
    std::vector<Section> missing;
    for (const Section& s : saved.sections) {
      if (s.tag != t) missing.push_back(s);
    }
    auto r = load_state(*vm, missing, saved.memory, "t");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kErrCorrupt) << r.error().message;
  }
}

// Hostile state sections: random bytes flipped, truncated or extended in CPUX, MACH, VMST
// and MON, in every mode that loads (bt's translation-cache index included). Every load
// either fails with an error or yields a machine that runs (within a budget) without
// crashing; the sanitizer build runs this too.
TEST(StateLoad, FuzzedStateSectionsNeverCrash) {
  std::vector<Variant> loadable;
  for (const Variant& v : variants()) {
    if (can_load_state(*make_vm(v, "run=syscall iters=50"))) loadable.push_back(v);
  }
  std::mt19937 rng(18);
  int accepted = 0;
  for (const Variant& v : loadable) {
    Saved saved;
    ASSERT_TRUE(save_at(v, "run=syscall iters=50", "", 20000, saved));
    // bt's MON section is most of what it saves (the translation cache's index): 40 more
    // rounds on it alone.
    const int rounds = v.mode == vmm::ModeId::bt ? 80 : 40;
    for (int round = 0; round < rounds; ++round) {
      std::vector<Section> sections = saved.sections;
      const uint32_t target = round >= 40 ? kMonitor
                                          : std::array<uint32_t, 4>{kCpuInternal, kMachineState,
                                                                    kVmState, kMonitor}[rng() % 4];
      for (Section& s : sections) {
        if (s.tag != target) continue;
        switch (rng() % 4) {
          case 0:
            if (!s.bytes.empty()) s.bytes.resize(rng() % s.bytes.size());
            break;
          case 1: s.bytes.push_back(static_cast<uint8_t>(rng())); break;
          default:
            for (int k = 0; k < 1 + static_cast<int>(rng() % 4) && !s.bytes.empty(); ++k) {
              s.bytes[rng() % s.bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
            }
        }
      }
      auto vm = make_vm(v, "run=syscall iters=50");
      auto r = load_state(*vm, sections, saved.memory, "fuzz");
      if (r.ok()) {
        ++accepted;
        vm->machine().set_max_instructions(20000 + 50000);
        vm->run();
      } else {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
  // Some flips land in fields whose every value is valid (a counter, a register).
  EXPECT_GT(accepted, 0);
}

// --- Binary translation: the translation cache's index is loaded (bt_state.cpp) ------------

modes::bt::BtMonitor& bt_monitor(vmm::Vm& vm) {
  auto* mode = dynamic_cast<modes::bt::BtMode*>(&vm.mode_impl());
  EXPECT_NE(mode, nullptr);
  return *mode->monitor();
}

// What bt's monitor counts on the host beside the event counters: equal after a loaded run
// and the run never stopped.
struct BtCounts {
  uint64_t translated = 0, lookup_hits = 0, inline_hits = 0, callouts = 0;
  uint64_t trace_faults = 0, simulated = 0, in_tc_writes = 0;
  uint32_t fragments = 0, live = 0, tc_used = 0;
  std::vector<uint64_t> in_tc;
  bool operator==(const BtCounts&) const = default;
};

BtCounts bt_counts(vmm::Vm& vm) {
  modes::bt::BtMonitor& m = bt_monitor(vm);
  BtCounts c{m.translator().instructions_translated(),
             m.lookup_hits(),
             m.inline_hits(),
             m.callouts(),
             m.adaptive().trace_faults(),
             m.adaptive().simulate_callouts(),
             m.adaptive().in_tc_writes(),
             m.cache().fragment_count(),
             m.cache().live_fragments(),
             m.cache().used_bytes(),
             {}};
  c.in_tc.assign(m.in_tc_counts().begin(), m.in_tc_counts().end());
  return c;
}

// Under bt, from `n` instructions on, the first pause inside the translation cache that is
// not at a fragment's entry (the processor mid-fragment, CS the TC's, EIP a TC address);
// captured there, loaded into a new Vm and run on, against the run never stopped. `check`
// looks at the monitor at the capture. Returns the instruction of the capture.
template <class Check>
uint64_t check_bt_inside_tc(const std::string& args, uint64_t n, const Check& check) {
  const Variant& v = variant("bt");
  auto whole = make_vm(v, args);
  whole->run();
  const Outcome straight = outcome(*whole);
  const BtCounts straight_bt = bt_counts(*whole);

  auto vm = make_vm(v, args);
  EXPECT_EQ(vm->run_for(n), vmm::VmState::kPaused);
  modes::bt::BtMonitor& m = bt_monitor(*vm);
  auto mid_fragment = [&] {
    if (!m.in_tc()) return false;
    const uint32_t eip = vm->machine().cpu().state().eip;
    const auto* r = m.cache().record_at(eip);
    return r != nullptr && eip != m.cache().fragment(r->fragment).tc_start;
  };
  for (int i = 0; i < 10000 && !mid_fragment(); ++i) {
    EXPECT_EQ(vm->run_for(1), vmm::VmState::kPaused);
  }
  EXPECT_TRUE(mid_fragment()) << "no pause inside a fragment after " << n;
  const uint64_t at = vm->machine().cpu().instructions_retired();
  const uint32_t tc_eip = vm->machine().cpu().state().eip;
  EXPECT_GE(tc_eip, modes::bt::layout::kTcBase);
  check(m);
  Saved saved;
  saved.sections = capture_state(*vm);
  const auto mem = vm->machine().memory().span();
  saved.memory.assign(mem.begin(), mem.end());
  const BtCounts at_capture = bt_counts(*vm);

  auto restored = make_vm(v, args);
  auto pos = load_state(*restored, saved.sections, saved.memory, "bt");
  EXPECT_TRUE(pos.ok()) << pos.error().message;
  if (!pos.ok()) return at;
  // The loaded cache is the saved one, and the processor is where it was in it.
  EXPECT_EQ(bt_counts(*restored), at_capture);
  EXPECT_TRUE(bt_monitor(*restored).in_tc());
  EXPECT_EQ(restored->machine().cpu().state().eip, tc_eip);
  restored->run();
  const std::string what = "bt inside the TC at " + std::to_string(at);
  expect_same(straight, outcome(*restored), what);
  EXPECT_EQ(bt_counts(*restored), straight_bt) << what;
  return at;
}

TEST(StateLoad, BtCanLoad) {
  EXPECT_TRUE(can_load_state(*make_vm(variant("bt"), "run=syscall iters=10")));
}

TEST(StateLoad, BtGoesOnExactlyFromInsideTheTranslationCache) {
  // Early (the kernel's first translations), in fork/exec and page faults, late: each time
  // the processor executes a fragment's middle.
  for (uint64_t n : {2000ull, 90000ull, 400000ull, 1200000ull}) {
    check_bt_inside_tc("run=all iters=2", n,
                       [](modes::bt::BtMonitor& m) { EXPECT_GT(m.cache().live_fragments(), 0u); });
  }
}

TEST(StateLoad, BtGoesOnExactlyWithAdaptiveTranslationsAndInTcPteWrites) {
  // ptemod: the kernel rewrites a PTE in a loop; its store is proven guilty (adaptive BT)
  // and retranslated as the in-TC page-table store. Points before the store is guilty,
  // after, and with in-TC writes done.
  const std::string args = "run=ptemod iters=3000";
  auto whole = make_vm(variant("bt"), args);
  whole->run();
  const uint64_t total = whole->last_stop()->instructions;
  bool guilty_seen = false, in_tc_seen = false;
  for (uint64_t n : {total * 70 / 100, total * 85 / 100, total * 97 / 100}) {
    check_bt_inside_tc(args, n, [&](modes::bt::BtMonitor& m) {
      if (!m.adaptive().guilty().empty()) guilty_seen = true;
      if (m.adaptive().in_tc_writes() > 0) in_tc_seen = true;
    });
  }
  EXPECT_TRUE(guilty_seen);
  EXPECT_TRUE(in_tc_seen);
}

}  // namespace
}  // namespace vmlab::snapshot
