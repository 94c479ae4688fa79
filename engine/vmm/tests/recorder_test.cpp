// The Recorder: counters always, costs charged to modeled time, the ring and the writers
// only when recording.
#include "engine/vmm/core/recorder.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/machine/machine.h"

namespace vmlab::vmm {
namespace {

class CapturingWriter : public TraceWriter {
 public:
  explicit CapturingWriter(std::vector<Event>& sink) : sink_(sink) {}
  void write(const Event& e) override { sink_.push_back(e); }
  machine::Result<void> finish() override {
    finished = true;
    return {};
  }
  bool finished = false;

 private:
  std::vector<Event>& sink_;
};

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    machine::MachineConfig config;
    config.memory_mib = 4;
    auto m = machine::Machine::create(std::move(config));
    ASSERT_TRUE(m.ok());
    machine_ = std::move(m.value());
  }
  cpu::Cpu& cpu() { return machine_->cpu(); }
  std::unique_ptr<machine::Machine> machine_;
};

TEST_F(RecorderTest, CountersAreAlwaysOnAndChargesReachTheClock) {
  Recorder rec(ModeId::native, cpu());
  CostProfile profile;
  ASSERT_TRUE(profile.set("port_io", 100, "test").ok());
  rec.set_event_costs(profile.event_costs());
  const uint64_t before = cpu().cycles();
  rec.record(EventKind::port_io, {0x80, 1, 0x42, 3});
  rec.record(EventKind::port_io, {0x80, 1, 0x43, 3});
  rec.record(EventKind::invlpg, {0x1000, 0, 0, 0}, 7);  // extra cycles from the reporter
  EXPECT_FALSE(rec.recording());
  EXPECT_EQ(rec.counters().count_of(EventKind::port_io), 2u);
  EXPECT_EQ(rec.counters().cycles_of(EventKind::port_io), 200u);
  EXPECT_EQ(rec.counters().count_of(EventKind::invlpg), 1u);
  EXPECT_EQ(rec.counters().cycles_of(EventKind::invlpg), 7u);
  EXPECT_EQ(rec.counters().total_count(), 3u);
  EXPECT_EQ(rec.counters().total_cycles(), 207u);
  EXPECT_EQ(cpu().cycles() - before, 207u);
  EXPECT_EQ(rec.events_recorded(), 3u);
}

TEST_F(RecorderTest, RingKeepsTheLastEventsOldestFirst) {
  Recorder rec(ModeId::trap, cpu());
  rec.enable_ring(3);
  EXPECT_TRUE(rec.recording());
  for (uint32_t i = 0; i < 5; ++i) rec.record(EventKind::trap, {i, 0, 0, 0});
  const auto events = rec.ring()->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 2u);
  EXPECT_EQ(events[2].seq, 4u);
  EXPECT_EQ(events[2].payload[0], 4u);
  EXPECT_EQ(events[2].mode, ModeId::trap);
  EXPECT_EQ(rec.ring()->overwritten(), 2u);
}

TEST_F(RecorderTest, WritersGetEventsUpToTheLimitAndAreFinished) {
  Recorder rec(ModeId::native, cpu());
  std::vector<Event> seen;
  auto writer = std::make_unique<CapturingWriter>(seen);
  const bool& finished = writer->finished;
  rec.add_writer(std::move(writer));
  rec.set_trace_limit(2);
  CostProfile profile;
  ASSERT_TRUE(profile.set("exception", 5, "test").ok());
  rec.set_event_costs(profile.event_costs());
  const uint64_t c0 = cpu().cycles();
  rec.record_at(EventKind::exception, 0x1234, 3, {14, 2, 1, 0});
  rec.record(EventKind::exception, {0, 0, 0, 0});
  rec.record(EventKind::exception, {0, 0, 0, 0});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].eip, 0x1234u);
  EXPECT_EQ(seen[0].cpl, 3u);
  EXPECT_EQ(seen[0].cycle, c0);  // stamped before its own charge
  EXPECT_EQ(seen[0].charged, 5u);
  EXPECT_EQ(seen[1].cycle, c0 + 5);
  EXPECT_EQ(rec.trace_events_written(), 2u);
  EXPECT_EQ(rec.trace_events_dropped(), 1u);
  EXPECT_EQ(rec.counters().count_of(EventKind::exception), 3u);
  EXPECT_FALSE(finished);
  // finish() completes and releases the writers.
  ASSERT_TRUE(rec.finish().ok());
  EXPECT_FALSE(rec.recording());
}

}  // namespace
}  // namespace vmlab::vmm
