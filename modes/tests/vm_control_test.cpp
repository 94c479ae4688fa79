// Vm control (engine/vmm/core/vm.h, "Control"): a run split by pauses and steps is the same run.
// In every mode the guest OS gives exactly the console output, event counters, instructions
// and modeled cycles of one uninterrupted run() however it is cut into run_for() and step()
// calls; a step sequence lands on exact EIPs; a pause from another thread takes effect.
#include <gtest/gtest.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

std::unique_ptr<vmm::Vm> make_vm(const Variant& v, const std::string& args) {
  auto mode = make(v.mode, v.options);
  EXPECT_TRUE(mode.ok()) << mode.error().message;
  vmm::VmConfig config;
  config.mode = std::move(mode.value());
  // A profile with event costs, so that the modeled cycles depend on every event.
  auto profile = vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  config.profile = profile.value();
  config.machine.memory_mib = 32;
  // A slower clock than the default, so that a timer interrupt lands inside the run (the
  // VT, classic and bt modes take one) at an instruction that no pause may move.
  config.machine.cpu_mhz = 100;
  config.machine.cmdline = "vmlab_guest " + args;
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
};

Outcome outcome(const vmm::Vm& vm) {
  return {*vm.last_stop(), vm.machine().console_output(), vm.recorder().counters(),
          vm.recorder().events_recorded()};
}

void expect_same(const Outcome& a, const Outcome& b, const char* what) {
  EXPECT_EQ(a.result.reason, b.result.reason) << what;
  EXPECT_EQ(a.result.exit_value, b.result.exit_value) << what;
  EXPECT_EQ(a.result.instructions, b.result.instructions) << what;
  EXPECT_EQ(a.result.budget_units, b.result.budget_units) << what;
  EXPECT_EQ(a.result.cycles, b.result.cycles) << what;
  EXPECT_EQ(a.console, b.console) << what;
  EXPECT_EQ(a.events, b.events) << what;
  for (unsigned k = 0; k < vmm::kNumEventKinds; ++k) {
    EXPECT_EQ(a.counters.count[k], b.counters.count[k]) << what << " kind " << k;
    EXPECT_EQ(a.counters.cycles[k], b.counters.cycles[k]) << what << " kind " << k;
  }
}

const char* const kWorkload = "run=syscall iters=200";

TEST(VmControlTest, PausedAndSteppedRunEqualsUninterruptedRunInEveryMode) {
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    auto whole = make_vm(v, kWorkload);
    EXPECT_EQ(whole->state(), vmm::VmState::kReady);
    const machine::RunResult r = whole->run();
    ASSERT_EQ(whole->state(), vmm::VmState::kStopped);
    ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
    ASSERT_NE(whole->machine().console_output().find("result workload=syscall"), std::string::npos)
        << whole->machine().console_output();
    const Outcome reference = outcome(*whole);
    if (v.mode == vmm::ModeId::trap || v.mode == vmm::ModeId::bt) {
      EXPECT_GE(reference.counters.count_of(vmm::EventKind::external_interrupt), 1u);
    }

    auto split = make_vm(v, kWorkload);
    // A prefix made only of single processor steps, each retiring exactly one instruction
    // (guest steps: guest_step_test.cpp).
    for (int i = 0; i < 3000; ++i) {
      const uint64_t before = split->machine().cpu().instructions_retired();
      ASSERT_EQ(split->step_processor(), vmm::VmState::kPaused);
      ASSERT_EQ(split->machine().cpu().instructions_retired(), before + 1);
    }
    // Then pauses at many different points: counts that do and do not divide the pause
    // granularity and the slice, with steps between them.
    const uint64_t sizes[] = {1, 7, 1023, 1024, 1025, 4099, 65536, 262145, 99991, 3};
    unsigned calls = 0;
    vmm::VmState state = vmm::VmState::kPaused;
    while (state == vmm::VmState::kPaused) {
      const uint64_t n = sizes[calls % std::size(sizes)];
      const uint64_t before = split->machine().cpu().instructions_retired();
      state = split->run_for(n);
      if (state == vmm::VmState::kPaused) {
        ASSERT_EQ(split->machine().cpu().instructions_retired(), before + n);
        EXPECT_EQ(split->recorder().counters().count_of(vmm::EventKind::machine_stop), 0u);
      }
      if (++calls % 5 == 0 && state == vmm::VmState::kPaused) state = split->step_processor();
    }
    ASSERT_EQ(state, vmm::VmState::kStopped);
    EXPECT_GT(calls, 20u);
    expect_same(reference, outcome(*split), v.name);
    EXPECT_EQ(split->recorder().counters().count_of(vmm::EventKind::machine_stop), 1u);
  }
}

TEST(VmControlTest, RunAfterPauseFinishesTheSameRun) {
  // Vm::run() goes on from a pause as well (the CLI's call).
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    auto whole = make_vm(v, kWorkload);
    whole->run();
    auto split = make_vm(v, kWorkload);
    ASSERT_EQ(split->run_for(123457), vmm::VmState::kPaused);
    split->run();
    expect_same(outcome(*whole), outcome(*split), v.name);
  }
}

TEST(VmControlTest, StepsLandOnTheBootCodesInstructions) {
  // guest/kernel/boot.S from the Multiboot entry: cmp $magic,%eax (5 bytes); jne (2);
  // cli; cld; mov %ebx,%ebp (2); mov $bss,%edi (5); mov $bss_end,%ecx (5);
  // sub %edi,%ecx (2); xor %eax,%eax (2); rep stosb (2), longer than a slice.
  // Native and the VT modes run the guest's own code, so the processor's EIP is the guest's.
  const uint32_t offsets[] = {0, 5, 7, 8, 9, 11, 16, 21, 23, 25};
  const uint32_t entry = make_vm(variants()[0], kWorkload)->machine().boot_info()->entry;
  ASSERT_EQ(entry, 0x00100010u);  // the ELF's entry: _start's physical address
  for (const Variant& v : variants()) {
    if (v.mode != vmm::ModeId::native &&
        !(v.mode == vmm::ModeId::trap && v.options.cpu != vmm::ModeOptions::Cpu::kClassic)) {
      continue;
    }
    SCOPED_TRACE(v.name);
    auto vm = make_vm(v, kWorkload);
    for (uint32_t off : offsets) {
      EXPECT_EQ(vm->guest_eip(), entry + off);
      ASSERT_EQ(vm->step(), vmm::VmState::kPaused);
    }
    // A REP string instruction retires after each chunk of its iterations with EIP on
    // itself (engine/cpu/exec_string.cpp), so that interrupts are seen between chunks: a
    // step is one chunk, and ECX goes down at each.
    int steps = 1;
    uint32_t ecx = vm->machine().cpu().state().gpr[cpu::ECX];
    while (vm->guest_eip() == entry + 25 && steps < 1000) {
      EXPECT_GT(ecx, 0u);
      ASSERT_EQ(vm->step(), vmm::VmState::kPaused);
      const uint32_t now = vm->machine().cpu().state().gpr[cpu::ECX];
      EXPECT_LT(now, ecx);
      ecx = now;
      ++steps;
    }
    EXPECT_GT(steps, 2);
    EXPECT_EQ(vm->guest_eip(), entry + 27);
    EXPECT_EQ(vm->machine().cpu().state().gpr[cpu::ECX], 0u);
  }
}

TEST(VmControlTest, PauseFromAnotherThreadTakesEffect) {
  const Variant& native = variants()[0];
  auto vm = make_vm(native, "run=syscall iters=100000000");
  std::atomic<vmm::VmState> result{vmm::VmState::kReady};
  std::thread owner([&] { result = vm->resume(); });
  while (vm->state() != vmm::VmState::kRunning) std::this_thread::yield();
  // Only state() and request_pause() are safe from here while it runs (no look at the
  // processor): let it run a little, then pause it.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  vm->request_pause();
  owner.join();
  EXPECT_EQ(result.load(), vmm::VmState::kPaused);
  EXPECT_EQ(vm->state(), vmm::VmState::kPaused);
  EXPECT_FALSE(vm->last_stop().has_value());
  EXPECT_EQ(vm->recorder().counters().count_of(vmm::EventKind::machine_stop), 0u);
  // It goes on: another slice of work, then a pause again at the count asked for.
  const uint64_t at = vm->machine().cpu().instructions_retired();
  EXPECT_EQ(vm->run_for(5000), vmm::VmState::kPaused);
  EXPECT_EQ(vm->machine().cpu().instructions_retired(), at + 5000);
}

TEST(VmControlTest, PauseRequestedBeforeTheCallPausesBeforeTheFirstInstruction) {
  auto vm = make_vm(variants()[0], kWorkload);
  vm->request_pause();
  EXPECT_EQ(vm->resume(), vmm::VmState::kPaused);
  EXPECT_EQ(vm->machine().cpu().instructions_retired(), 0u);
  EXPECT_EQ(vm->resume(), vmm::VmState::kStopped);
  ASSERT_TRUE(vm->last_stop().has_value());
  EXPECT_EQ(vm->last_stop()->reason, machine::StopReason::kExitPort);
}

TEST(VmControlTest, RunUntilEventPausesRightAfterEachEventOfTheKind) {
  // The GUI's "step to the next hypercall / exit / callout": each call adds exactly one event
  // of the kind, pauses with it the last event recorded, and the run stays the same run.
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    const vmm::EventKind kind = v.mode == vmm::ModeId::native ? vmm::EventKind::port_io
                                : v.mode == vmm::ModeId::bt   ? vmm::EventKind::bt_callout
                                : v.mode == vmm::ModeId::pv   ? vmm::EventKind::hypercall
                                                              : vmm::EventKind::trap;
    auto whole = make_vm(v, kWorkload);
    whole->run();
    auto vm = make_vm(v, kWorkload);
    vm->recorder().enable_ring(64);
    std::bitset<vmm::kNumEventKinds> kinds;
    kinds.set(vmm::index_of(kind));
    for (uint64_t i = 1; i <= 25; ++i) {
      const uint64_t before = vm->recorder().counters().count_of(kind);
      ASSERT_EQ(vm->run_until_event(kinds), vmm::VmState::kPaused);
      EXPECT_EQ(vm->recorder().counters().count_of(kind), before + 1);
      // Paused right after it: at most the events of the same instruction came after it.
      const auto last = vm->recorder().ring()->events();
      ASSERT_FALSE(last.empty());
      bool seen = false;
      for (const auto& e : last) seen |= e.kind == kind;
      EXPECT_TRUE(seen);
    }
    // A budget ends the call as well.
    const uint64_t at = vm->machine().cpu().instructions_retired();
    std::bitset<vmm::kNumEventKinds> never;
    never.set(vmm::index_of(vmm::EventKind::bt_flush));
    ASSERT_EQ(vm->run_until_event(never, 777), vmm::VmState::kPaused);
    EXPECT_EQ(vm->machine().cpu().instructions_retired(), at + 777);
    EXPECT_EQ(vm->resume(), vmm::VmState::kStopped);
    expect_same(outcome(*whole), outcome(*vm), v.name);
  }
}

TEST(VmControlTest, StateNamesAreStable) {
  EXPECT_EQ(vmm::to_string(vmm::VmState::kReady), "ready");
  EXPECT_EQ(vmm::to_string(vmm::VmState::kRunning), "running");
  EXPECT_EQ(vmm::to_string(vmm::VmState::kPaused), "paused");
  EXPECT_EQ(vmm::to_string(vmm::VmState::kStopped), "stopped");
}

}  // namespace
}  // namespace vmlab::modes
