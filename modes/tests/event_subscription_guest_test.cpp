// Live event subscription (engine/vmm/core/event_subscription.h) on the guest OS in every mode:
// a consumer thread that drains while the guest runs receives every event, in order, equal
// to the ring of the same run; the snapshots' counters and modeled time end equal to the
// run's; a run with a subscriber is the same run as one without; a lossless subscription
// with a consumer slower than the guest still receives every event, and the run is the same.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/vmm/core/event_subscription.h"
#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

struct Variant {
  const char* name;
  vmm::ModeId mode;
  vmm::ModeOptions options;
};

std::vector<Variant> variants() {
  vmm::ModeOptions npt;
  npt.nested_paging = true;
  vmm::ModeOptions classic;
  classic.cpu = vmm::ModeOptions::Cpu::kClassic;
  return {{"native", vmm::ModeId::native, {}},  {"trap", vmm::ModeId::trap, {}},
          {"trap_npt", vmm::ModeId::trap, npt}, {"trap_classic", vmm::ModeId::trap, classic},
          {"bt", vmm::ModeId::bt, {}},          {"pv", vmm::ModeId::pv, {}}};
}

std::unique_ptr<vmm::Vm> make_vm(const Variant& v) {
  vmm::VmConfig config;
  config.mode = make(v.mode, v.options).value();
  auto profile = vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/pentium4.profile");
  EXPECT_TRUE(profile.ok());
  config.profile = profile.value();
  config.machine.memory_mib = 32;
  config.machine.cmdline = "vmlab_guest run=ptemod iters=100";
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok()) << vm.error().message;
  EXPECT_TRUE(vm.value()->load_kernel(VMLAB_GUEST_KERNEL).ok());
  return std::move(vm.value());
}

bool same(const vmm::Event& a, const vmm::Event& b) {
  return a.seq == b.seq && a.cycle == b.cycle && a.charged == b.charged && a.eip == b.eip &&
         a.payload == b.payload && a.kind == b.kind && a.cpl == b.cpl && a.mode == b.mode;
}

TEST(EventSubscriptionGuestTest, AConsumerThreadReceivesEveryEventAsTheRingHasIt) {
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    auto plain = make_vm(v);
    const machine::RunResult plain_result = plain->run();

    auto vm = make_vm(v);
    // Events the boot recorded (bt translates its first block) came before both.
    const uint64_t first = vm->recorder().events_recorded();
    vm->recorder().enable_ring(1u << 20);
    auto sub = vm->subscribe(1u << 12);  // smaller than the run: the consumer must keep up
    std::atomic<bool> done{false};
    std::atomic<uint64_t> drained{0};
    std::vector<vmm::Event> got;
    std::vector<vmm::RunSnapshot> snapshots;
    std::thread consumer([&] {
      for (;;) {
        const bool last = done.load(std::memory_order_acquire);
        drained += sub->drain(got);
        if (auto s = sub->latest_snapshot()) snapshots.push_back(*s);
        if (last) break;
        std::this_thread::yield();
      }
    });
    // The owner pauses now and then, so snapshots come from pauses and slice ends alike,
    // and the consumer gets time on a busy machine.
    vmm::VmState state;
    do {
      state = vm->run_for(20'000);
      // Let the consumer catch up (it reads the queue; this reads only its counters).
      while (sub->dropped() == 0 && sub->pushed() - drained.load() > sub->capacity() / 2) {
        std::this_thread::yield();
      }
    } while (state == vmm::VmState::kPaused);
    done.store(true, std::memory_order_release);
    consumer.join();

    const machine::RunResult& r = *vm->last_stop();
    EXPECT_EQ(r.cycles, plain_result.cycles);
    EXPECT_EQ(r.instructions, plain_result.instructions);
    EXPECT_EQ(vm->machine().console_output(), plain->machine().console_output());

    EXPECT_EQ(sub->dropped(), 0u);
    const std::vector<vmm::Event> ring = vm->recorder().ring()->events();
    ASSERT_EQ(ring.size(), vm->recorder().events_recorded() - first);
    ASSERT_EQ(got.size(), ring.size());
    for (size_t i = 0; i < ring.size(); ++i) ASSERT_TRUE(same(got[i], ring[i])) << i;
    EXPECT_GT(ring.size(), 500u);
    EXPECT_EQ(got.front().seq, first);

    ASSERT_FALSE(snapshots.empty());
    const vmm::RunSnapshot& last = snapshots.back();
    EXPECT_EQ(last.events, vm->recorder().events_recorded());
    EXPECT_EQ(last.cycles, r.cycles);
    EXPECT_EQ(last.instructions, r.instructions);
    EXPECT_EQ(last.counters.count, vm->recorder().counters().count);
    EXPECT_EQ(last.counters.cycles, vm->recorder().counters().cycles);
    for (size_t i = 1; i < snapshots.size(); ++i) {
      EXPECT_GE(snapshots[i].cycles, snapshots[i - 1].cycles);
      EXPECT_GE(snapshots[i].events, snapshots[i - 1].events);
    }
  }
}

TEST(EventSubscriptionGuestTest, ASlowConsumerLosesEventsButNotTheRun) {
  // Nobody drains: the queue keeps the first events, drops and counts the rest, and the
  // run, its counters and its final snapshot are complete.
  const Variant bt = variants()[4];
  auto plain = make_vm(bt);
  const machine::RunResult plain_result = plain->run();
  auto vm = make_vm(bt);
  const uint64_t first = vm->recorder().events_recorded();
  auto sub = vm->subscribe(256);
  const machine::RunResult r = vm->run();
  EXPECT_EQ(r.cycles, plain_result.cycles);
  const uint64_t total = vm->recorder().events_recorded() - first;
  EXPECT_EQ(sub->pushed(), 256u);
  EXPECT_EQ(sub->dropped(), total - 256);
  std::vector<vmm::Event> got;
  sub->drain(got);
  ASSERT_EQ(got.size(), 256u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, first + i);
  auto snap = sub->latest_snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->events, first + total);
  EXPECT_EQ(snap->dropped, total - 256);
  EXPECT_EQ(snap->counters.count, plain->recorder().counters().count);
}

TEST(EventSubscriptionGuestTest, ALosslessSubscriptionWithASlowConsumerGetsEveryEvent) {
  // A queue of 64 and a consumer that sleeps between small drains: the guest (bt, the
  // mode with the most events) waits for it on the host, and nothing is lost.
  const Variant bt = variants()[4];
  auto plain = make_vm(bt);
  const machine::RunResult plain_result = plain->run();
  auto vm = make_vm(bt);
  const uint64_t first = vm->recorder().events_recorded();
  vm->recorder().enable_ring(1u << 20);
  auto sub = vm->subscribe(64);
  sub->set_delivery(vmm::EventSubscription::Delivery::kLossless);
  std::atomic<bool> done{false};
  std::vector<vmm::Event> got;
  std::thread consumer([&] {
    for (;;) {
      const bool last = done.load(std::memory_order_acquire);
      sub->drain(got, 500);
      if (last && sub->pushed() == got.size()) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  const machine::RunResult r = vm->run();
  done.store(true, std::memory_order_release);
  consumer.join();
  EXPECT_EQ(r.cycles, plain_result.cycles);
  EXPECT_EQ(r.instructions, plain_result.instructions);
  EXPECT_EQ(vm->machine().console_output(), plain->machine().console_output());
  EXPECT_EQ(sub->dropped(), 0u);
  EXPECT_GT(sub->waits(), 0u);
  const std::vector<vmm::Event> ring = vm->recorder().ring()->events();
  ASSERT_EQ(got.size(), vm->recorder().events_recorded() - first);
  ASSERT_EQ(got.size(), ring.size());
  for (size_t i = 0; i < ring.size(); ++i) ASSERT_TRUE(same(got[i], ring[i])) << i;
}

}  // namespace
}  // namespace vmlab::modes
