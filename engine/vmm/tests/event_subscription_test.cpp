// EventSubscription's queue: order, the drop policy of a full queue, the lossless
// delivery (the producer waits; close() releases it), two threads.
#include "engine/vmm/core/event_subscription.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace vmlab::vmm {
namespace {

Event event(uint64_t seq) {
  Event e{};
  e.seq = seq;
  e.kind = EventKind::trap;
  e.payload = {static_cast<uint32_t>(seq), 0, 0, 0};
  return e;
}

TEST(EventSubscriptionTest, CapacityIsAPowerOfTwo) {
  EXPECT_EQ(EventSubscription(0).capacity(), 2u);
  EXPECT_EQ(EventSubscription(5).capacity(), 8u);
  EXPECT_EQ(EventSubscription(1024).capacity(), 1024u);
}

TEST(EventSubscriptionTest, AFullQueueDropsNewEventsAndCountsThem) {
  EventSubscription s(4);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(s.push(event(i)), i < 4);
  EXPECT_EQ(s.dropped(), 6u);
  EXPECT_EQ(s.pushed(), 4u);
  std::vector<Event> out;
  EXPECT_EQ(s.drain(out), 4u);
  ASSERT_EQ(out.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].seq, i);
  // Room again: the next event goes in, its seq showing the gap.
  EXPECT_TRUE(s.push(event(10)));
  auto e = s.pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->seq, 10u);
  EXPECT_FALSE(s.pop().has_value());
}

TEST(EventSubscriptionTest, SnapshotsAreTakenOnceAndCarryTheDrops) {
  EventSubscription s(2);
  EXPECT_FALSE(s.latest_snapshot().has_value());
  for (uint64_t i = 0; i < 3; ++i) s.push(event(i));
  RunSnapshot snap;
  snap.events = 3;
  snap.instructions = 100;
  snap.cycles = 250;
  s.publish(snap);
  snap.cycles = 300;
  s.publish(snap);  // the newer one replaces it
  auto got = s.latest_snapshot();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->cycles, 300u);
  EXPECT_EQ(got->instructions, 100u);
  EXPECT_EQ(got->dropped, 1u);
  EXPECT_FALSE(s.latest_snapshot().has_value());
}

TEST(EventSubscriptionTest, AConsumerThreadGetsEveryEventInOrder) {
  // A queue smaller than the stream: the producer retries a full queue here (a test
  // producer may; the Recorder drops instead), so every event must come through in order.
  EventSubscription s(64);
  constexpr uint64_t kEvents = 200'000;
  std::vector<Event> got;
  got.reserve(kEvents);
  std::thread consumer([&] {
    while (got.size() < kEvents) {
      if (s.drain(got, 17) == 0) std::this_thread::yield();
    }
  });
  uint64_t refused = 0;
  for (uint64_t i = 0; i < kEvents; ++i) {
    while (!s.push(event(i))) ++refused;
  }
  consumer.join();
  ASSERT_EQ(got.size(), kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) {
    ASSERT_EQ(got[i].seq, i);
    ASSERT_EQ(got[i].payload[0], static_cast<uint32_t>(i));
  }
  EXPECT_EQ(s.dropped(), refused);
}

TEST(EventSubscriptionTest, ALosslessProducerWaitsForASlowConsumer) {
  // Capacity 8, 50 000 events, a consumer that takes at most 3 at a time and pauses: the
  // producer must wait, and nothing may be lost or reordered.
  EventSubscription s(8, EventSubscription::Delivery::kLossless);
  EXPECT_EQ(s.delivery(), EventSubscription::Delivery::kLossless);
  constexpr uint64_t kEvents = 50'000;
  std::vector<Event> got;
  got.reserve(kEvents);
  std::thread consumer([&] {
    while (got.size() < kEvents) {
      if (s.drain(got, 3) == 0 || got.size() % 1000 < 3) std::this_thread::yield();
    }
  });
  for (uint64_t i = 0; i < kEvents; ++i) ASSERT_TRUE(s.push(event(i)));
  consumer.join();
  EXPECT_EQ(s.dropped(), 0u);
  EXPECT_EQ(s.pushed(), kEvents);
  EXPECT_GT(s.waits(), 0u);
  ASSERT_EQ(got.size(), kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) ASSERT_EQ(got[i].seq, i);
}

TEST(EventSubscriptionTest, CloseReleasesAWaitingLosslessProducer) {
  EventSubscription s(2, EventSubscription::Delivery::kLossless);
  EXPECT_TRUE(s.push(event(0)));
  EXPECT_TRUE(s.push(event(1)));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = s.push(event(2)) ? 1 : 0; });
  // The producer is waiting for room (it counted the wait); nobody drains.
  while (s.waits() == 0) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(result.load(), -1);
  s.close();
  producer.join();
  EXPECT_EQ(result.load(), 0);  // dropped, not blocked forever
  EXPECT_EQ(s.dropped(), 1u);
  // Closed: a full queue drops at once.
  EXPECT_FALSE(s.push(event(3)));
  EXPECT_EQ(s.dropped(), 2u);
  std::vector<Event> out;
  EXPECT_EQ(s.drain(out), 2u);
}

TEST(EventSubscriptionTest, DropWhenFullIsTheDefaultAndNeverWaits) {
  EventSubscription s(2);
  EXPECT_EQ(s.delivery(), EventSubscription::Delivery::kDropWhenFull);
  for (uint64_t i = 0; i < 5; ++i) s.push(event(i));
  EXPECT_EQ(s.waits(), 0u);
  EXPECT_EQ(s.dropped(), 3u);
}

}  // namespace
}  // namespace vmlab::vmm
