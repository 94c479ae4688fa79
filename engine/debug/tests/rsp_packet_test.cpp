// The RSP framing (rsp_packet.h): well-formed packets, every kind of damage, and a fuzz of
// random bytes that must never crash, allocate without bound or lose the framing.
#include "engine/debug/rsp_packet.h"

#include <gtest/gtest.h>

#include <random>

namespace vmlab::debug {
namespace {

std::vector<RspInput> feed(std::string_view bytes) {
  PacketReader r;
  std::vector<RspInput> out;
  r.feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
         out);
  return out;
}

TEST(RspPacket, FramesAndChecksums) {
  EXPECT_EQ(frame_packet("OK"), "$OK#9a");
  EXPECT_EQ(frame_packet(""), "$#00");
  const auto in = feed("+$qSupported:multiprocess+#c6$g#67\x03-");
  ASSERT_EQ(in.size(), 5u);
  EXPECT_EQ(in[0].kind, RspInput::kAck);
  EXPECT_EQ(in[1].kind, RspInput::kPacket);
  EXPECT_EQ(in[1].payload, "qSupported:multiprocess+");
  EXPECT_EQ(in[2].kind, RspInput::kPacket);
  EXPECT_EQ(in[2].payload, "g");
  EXPECT_EQ(in[3].kind, RspInput::kInterrupt);
  EXPECT_EQ(in[4].kind, RspInput::kNack);
}

TEST(RspPacket, DamageIsReportedNotTaken) {
  // Wrong checksum, non-hex checksum, a packet cut by a new one.
  auto in = feed("$g#00");
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].kind, RspInput::kBad);
  in = feed("$g#zz");
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].kind, RspInput::kBad);
  in = feed("$m0,4$g#67");
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].kind, RspInput::kBad);
  EXPECT_EQ(in[1].kind, RspInput::kPacket);
  EXPECT_EQ(in[1].payload, "g");
}

TEST(RspPacket, OverlongPacketIsBadAndBounded) {
  std::string big = "$";
  uint8_t sum = 0;
  for (size_t i = 0; i < kMaxPacket * 4; ++i) {
    big.push_back('a');
    sum = static_cast<uint8_t>(sum + 'a');
  }
  char cs[4];
  std::snprintf(cs, sizeof cs, "%02x", sum);
  big += "#";
  big += cs;
  big += frame_packet("?");
  const auto in = feed(big);
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].kind, RspInput::kBad);
  EXPECT_EQ(in[1].kind, RspInput::kPacket);
  EXPECT_EQ(in[1].payload, "?");
}

TEST(RspPacket, HexAndBinaryHelpers) {
  EXPECT_EQ(to_hex(std::string_view("\x01\xab", 2)), "01ab");
  EXPECT_EQ(from_hex("01aB"), (std::vector<uint8_t>{0x01, 0xab}));
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("0g"));
  EXPECT_EQ(parse_hex32("c0100000"), 0xc0100000u);
  EXPECT_FALSE(parse_hex32("100000000"));  // more than 32 bits
  EXPECT_FALSE(parse_hex32(""));
  EXPECT_FALSE(parse_hex32("-1"));
  EXPECT_EQ(unescape_binary("a}\x03}]"), (std::vector<uint8_t>{'a', 0x23, 0x7d}));
  EXPECT_FALSE(unescape_binary("a}"));
}

// Random bytes, with the protocol's special characters over-represented: the reader must
// take every byte, keep its payload bounded and find a good packet right after the noise.
TEST(RspPacket, FuzzedBytesNeverBreakTheFraming) {
  std::mt19937 rng(12345);
  const char special[] = {'$', '#', '}', '*', 0x03, '+', '-', '0', 'f'};
  for (int round = 0; round < 2000; ++round) {
    PacketReader r;
    std::vector<RspInput> out;
    const size_t n = rng() % 4096;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t b = rng() % 3 == 0 ? static_cast<uint8_t>(special[rng() % sizeof special])
                                       : static_cast<uint8_t>(rng());
      if (auto in = r.feed(b)) out.push_back(std::move(*in));
    }
    for (const auto& in : out) EXPECT_LE(in.payload.size(), kMaxPacket);
    // Whatever state the noise left: a '#' and two digits end any packet in progress, then
    // a well-formed packet is taken.
    std::vector<RspInput> tail;
    const std::string resync = "#00" + frame_packet("vMustReplyEmpty");
    r.feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(resync.data()), resync.size()),
           tail);
    ASSERT_FALSE(tail.empty());
    EXPECT_EQ(tail.back().kind, RspInput::kPacket);
    EXPECT_EQ(tail.back().payload, "vMustReplyEmpty");
  }
}

}  // namespace
}  // namespace vmlab::debug
