// Event channels through the shared-info page: pending and mask bits, the upcall mask
// (the guest's interrupt flag), and when an upcall is deliverable. The console ring: a
// batch of N bytes is one notification; input fills the room the guest leaves.
#include "modes/paravirt/event_channels.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "modes/paravirt/console_ring.h"
#include "modes/paravirt/pv_abi.h"

namespace vmlab::modes::paravirt {
namespace {

namespace si = abi::shared_info;

class EventChannelsTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kShared = 4096;
  EventChannelsTest() : ram_(4 * 4096), memory_(ram_), events_(memory_, kShared) {
    ram_[kShared + si::kUpcallMask] = 1;  // as the domain builder leaves it
  }
  uint32_t word(uint32_t off) const {
    uint32_t v;
    std::memcpy(&v, &ram_[kShared + off], 4);
    return v;
  }
  std::vector<uint8_t> ram_;
  MachineMemory memory_;
  EventChannels events_;
};

TEST_F(EventChannelsTest, AnEventWhileMaskedWaitsForTheGuestToUnmask) {
  EXPECT_TRUE(events_.send(abi::kTimerPort));
  EXPECT_EQ(word(si::kEvtchnPending), 1u << abi::kTimerPort);
  EXPECT_EQ(ram_[kShared + si::kUpcallPending], 1);
  EXPECT_FALSE(events_.deliverable());  // the guest has events off
  ram_[kShared + si::kUpcallMask] = 0;  // the guest's irq_enable: a plain store
  EXPECT_TRUE(events_.deliverable());
}

TEST_F(EventChannelsTest, EventsDoNotQueue) {
  EXPECT_TRUE(events_.send(abi::kTimerPort));
  EXPECT_FALSE(events_.send(abi::kTimerPort));
  EXPECT_EQ(word(si::kEvtchnPending), 1u << abi::kTimerPort);
  EXPECT_FALSE(events_.send(abi::kConsolePort));  // pending, but an upcall is already due
  EXPECT_EQ(word(si::kEvtchnPending), (1u << abi::kTimerPort) | (1u << abi::kConsolePort));
}

TEST_F(EventChannelsTest, AMaskedPortRaisesNoUpcall) {
  const uint32_t mask = 1u << abi::kTimerPort;
  std::memcpy(&ram_[kShared + si::kEvtchnMask], &mask, 4);
  ram_[kShared + si::kUpcallMask] = 0;
  EXPECT_FALSE(events_.send(abi::kTimerPort));
  EXPECT_EQ(word(si::kEvtchnPending), mask);
  EXPECT_FALSE(events_.deliverable());
  EXPECT_FALSE(events_.send(99));  // no such port
}

TEST_F(EventChannelsTest, TheFaultAddressGoesToTheSharedPage) {
  events_.set_cr2(0x30000000);
  EXPECT_EQ(word(si::kCr2), 0x30000000u);
}

TEST(ConsoleRingTest, ABatchOfBytesIsOneNotification) {
  namespace cr = abi::console_ring;
  std::vector<uint8_t> ram(4096);
  MachineMemory memory(ram);
  std::string out;
  ConsoleRing ring(memory, 0, [&out](char c) { out.push_back(c); });
  const std::string line = "result workload=syscall iters=1000\r\n";
  uint32_t prod = 0;
  for (int k = 0; k < 3; ++k) {
    for (char c : line) ram[cr::kOut + prod++ % cr::kOutSize] = static_cast<uint8_t>(c);
  }
  std::memcpy(&ram[cr::kOutProd], &prod, 4);
  EXPECT_EQ(ring.consume_output(), 3 * line.size());
  EXPECT_EQ(out, line + line + line);
  EXPECT_EQ(ring.notifications(), 1u);
  uint32_t cons;
  std::memcpy(&cons, &ram[cr::kOutCons], 4);
  EXPECT_EQ(cons, prod);
  EXPECT_EQ(ring.consume_output(), 0u);  // nothing new
}

TEST(ConsoleRingTest, ACorruptProducerIndexCostsAtMostOneRing) {
  namespace cr = abi::console_ring;
  std::vector<uint8_t> ram(4096);
  MachineMemory memory(ram);
  uint64_t n = 0;
  ConsoleRing ring(memory, 0, [&n](char) { ++n; });
  const uint32_t prod = 0x7FFFFFFF;
  std::memcpy(&ram[cr::kOutProd], &prod, 4);
  EXPECT_EQ(ring.consume_output(), cr::kOutSize);
  EXPECT_EQ(n, cr::kOutSize);
}

// Console input: as much as the guest has made room for, in order; a scribbled consumer
// index gets nothing written.
TEST(ConsoleRingTest, InputFillsTheRoomTheGuestLeavesAndNoMore) {
  namespace cr = abi::console_ring;
  std::vector<uint8_t> ram(4096);
  MachineMemory memory(ram);
  ConsoleRing ring(memory, 0, [](char) {});
  uint32_t next = 0;
  const auto source = [&next]() -> std::optional<uint8_t> {
    if (next == 3000) return std::nullopt;
    return static_cast<uint8_t>(next++ % 251);
  };
  EXPECT_EQ(ring.feed_input(source), cr::kInSize);
  uint32_t prod = 0, cons = 100;
  std::memcpy(&prod, &ram[cr::kInProd], 4);
  EXPECT_EQ(prod, cr::kInSize);
  EXPECT_EQ(ram[cr::kIn + 7], 7);
  std::memcpy(&ram[cr::kInCons], &cons, 4);  // the guest took 100 bytes
  EXPECT_EQ(ring.feed_input(source), 100u);
  EXPECT_EQ(ram[cr::kIn + 0], cr::kInSize % 251);  // wrapped around to the start
  const auto before = ram;
  for (const uint32_t bad : {prod + 200, 0xFFFFFFFFu}) {  // ahead of the producer, or far behind
    std::memcpy(&ram[cr::kInCons], &bad, 4);
    std::vector<uint8_t> expected = before;
    std::memcpy(&expected[cr::kInCons], &bad, 4);
    EXPECT_EQ(ring.feed_input(source), 0u);
    EXPECT_TRUE(ram == expected);
  }
}

}  // namespace
}  // namespace vmlab::modes::paravirt
