// The migration protocol's encoders and decoders, and the destination's Receiver: round
// trips, every refusal, and fuzzed frames that must never crash it nor write outside its
// staging memory (docs/migration.md, "Protocol").
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "engine/migration/precopy.h"
#include "engine/migration/protocol.h"
#include "engine/migration/receiver.h"

namespace vmlab::migration {
namespace {

constexpr uint32_t kFrames = 16;

Hello sample_hello() {
  Hello h;
  h.vmlab_version = "0.test";
  h.fingerprint = {{"mode", "native"}, {"memory_mib", "4"}};
  h.arguments = {"--memory", "4", "guest.elf"};
  h.input = {'a', 'b', '\n'};
  h.memory_bytes = kFrames * kPageBytes;
  return h;
}

std::vector<uint8_t> sample_memory() {
  std::vector<uint8_t> m(kFrames * kPageBytes);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(i * 7 + i / 4096);
  return m;
}

// A whole transfer: HELLO, two rounds, STATE, DONE.
std::vector<Frame> sample_transfer() {
  const auto mem = sample_memory();
  std::vector<Frame> f;
  f.push_back({FrameType::kHello, encode_hello(sample_hello())});
  const std::vector<uint32_t> r0 = {0, 1, 2, 3, 5, 8, 13}, r1 = {1, 15};
  f.push_back({FrameType::kPages, encode_pages(0, r0, mem)});
  f.push_back({FrameType::kPages, encode_pages(1, r1, mem)});
  f.push_back({FrameType::kState,
               encode_state({{snapshot::tag("POSN"), {1, 2, 3}}, {snapshot::tag("CPU "), {}}})});
  f.push_back({FrameType::kDone, encode_done(2)});
  return f;
}

TEST(MigrationProtocol, HelloRoundTrips) {
  auto d = decode_hello(encode_hello(sample_hello()));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d.value().vmlab_version, "0.test");
  EXPECT_EQ(d.value().fingerprint, sample_hello().fingerprint);
  EXPECT_EQ(d.value().arguments, sample_hello().arguments);
  EXPECT_EQ(d.value().input, sample_hello().input);
  EXPECT_EQ(d.value().memory_bytes, kFrames * kPageBytes);
}

TEST(MigrationProtocol, HelloOfAnotherProtocolIsRefused) {
  Hello h = sample_hello();
  h.protocol_version = 99;
  auto d = decode_hello(encode_hello(h));
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("protocol version 99"), std::string::npos);
  std::vector<uint8_t> junk(64, 'x');
  auto j = decode_hello(junk);
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("VMLABMIG"), std::string::npos);
}

TEST(MigrationProtocol, ReceiverAssemblesTheSentPages) {
  Receiver rx(1u << 20);
  for (const Frame& f : sample_transfer()) ASSERT_TRUE(rx.take(f));
  ASSERT_TRUE(rx.complete());
  const auto mem = sample_memory();
  for (uint32_t p = 0; p < kFrames; ++p) {
    const bool sent =
        p == 0 || p == 1 || p == 2 || p == 3 || p == 5 || p == 8 || p == 13 || p == 15;
    const uint8_t* got = rx.memory().data() + size_t{p} * kPageBytes;
    if (sent) {
      EXPECT_EQ(std::memcmp(got, mem.data() + size_t{p} * kPageBytes, kPageBytes), 0) << p;
    } else {
      EXPECT_EQ(std::count(got, got + kPageBytes, 0), kPageBytes) << p;
    }
  }
  ASSERT_EQ(rx.rounds().size(), 2u);
  EXPECT_EQ(rx.rounds()[0].pages, 7u);
  EXPECT_EQ(rx.rounds()[1].pages, 2u);
  EXPECT_EQ(rx.pages_received(), 9u);
  EXPECT_EQ(rx.rounds_announced(), 2u);
  ASSERT_EQ(rx.state().size(), 2u);
  EXPECT_EQ(rx.state()[0].bytes, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(MigrationProtocol, ReceiverRefusesFramesOutOfOrder) {
  const auto t = sample_transfer();
  const auto refused = [](std::vector<Frame> frames, const std::string& words) {
    Receiver rx(1u << 20);
    for (size_t i = 0; i < frames.size(); ++i) {
      auto r = rx.take(frames[i]);
      if (!r) {
        EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
        return;
      }
    }
    ADD_FAILURE() << "accepted: " << words;
  };
  refused({t[1]}, "PAGES before HELLO");
  refused({t[0], t[0]}, "a second HELLO");
  refused({t[0], t[2], t[1]}, "round 0 after round 1");
  refused({t[0], t[1], t[4]}, "DONE before STATE");
  refused({t[0], t[3], t[1]}, "PAGES after STATE");
  refused({t[0], t[3], t[3]}, "a second STATE");
  refused({t[0], t[1], t[2], t[3], t[4], t[1]}, "PAGES after DONE");
  refused({t[0], {FrameType::kAck, {}}}, "ACK from the source");
  // A page index outside the machine: nothing of the frame is written.
  std::vector<uint8_t> bad = t[2].payload;
  bad[8] = 16;  // the first page's index: 16 of 16 pages
  refused({t[0], {FrameType::kPages, bad}}, "names page 16");
  {
    Receiver rx(1u << 20);
    ASSERT_TRUE(rx.take(t[0]));
    bad = t[1].payload;
    bad[8 + 4 * (4 + kPageBytes)] = 200;  // the fifth page's index
    ASSERT_FALSE(rx.take({FrameType::kPages, bad}));
    EXPECT_EQ(std::count(rx.memory().begin(), rx.memory().end(), 0),
              static_cast<long>(rx.memory().size()))
        << "the pages before the bad index were not written either";
    EXPECT_FALSE(rx.take(t[1])) << "a refused transfer stays refused";
  }
  Hello huge = sample_hello();
  huge.memory_bytes = 4u << 20;
  refused({{FrameType::kHello, encode_hello(huge)}}, "a machine memory of");
  huge.memory_bytes = 4097;
  refused({{FrameType::kHello, encode_hello(huge)}}, "a multiple of 4096");
}

// Fuzzed transfers: random bytes flipped, frames truncated, extended, reordered; the
// Receiver must refuse or accept each without reading or writing out of range (the
// sanitizer build checks the latter), and an accepted transfer's memory has its size.
TEST(MigrationProtocol, FuzzedFramesNeverCrashTheReceiver) {
  const auto t = sample_transfer();
  std::mt19937 rng(18);
  unsigned accepted = 0, refused = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    std::vector<Frame> frames = t;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      Frame& f = frames[rng() % frames.size()];
      switch (rng() % 5) {
        case 0:
          if (!f.payload.empty()) f.payload[rng() % f.payload.size()] ^= uint8_t(1 + rng() % 255);
          break;
        case 1: f.payload.resize(rng() % (f.payload.size() + 1)); break;
        case 2: f.payload.resize(f.payload.size() + rng() % 16, uint8_t(rng())); break;
        case 3: std::swap(frames[rng() % frames.size()], frames[rng() % frames.size()]); break;
        case 4: f.type = static_cast<FrameType>(1 + rng() % 7); break;
      }
    }
    Receiver rx(1u << 20);
    bool ok = true;
    for (const Frame& f : frames) {
      if (f.payload.size() > max_payload(static_cast<uint8_t>(f.type))) {
        ok = false;  // the connection refuses it before the Receiver sees it
        break;
      }
      if (!rx.take(f)) {
        ok = false;
        break;
      }
    }
    if (ok && rx.complete()) {
      ++accepted;
      EXPECT_EQ(rx.memory().size() % kPageBytes, 0u);
      EXPECT_LE(rx.memory().size(), 1u << 20);
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, 1000u);
  EXPECT_GT(accepted, 10u);  // flips inside page bytes are still a valid transfer
}

TEST(MigrationProtocol, TransferTimeAtTheModeledBandwidth) {
  EXPECT_EQ(transfer_cycles(0, 256), 0u);
  EXPECT_EQ(transfer_cycles(256, 256), 1000000u);
  EXPECT_EQ(transfer_cycles(1, 256), 3907u);  // rounded up
  EXPECT_EQ(transfer_cycles(1000, 1000), 1000000u);
}

}  // namespace
}  // namespace vmlab::migration
