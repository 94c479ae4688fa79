// The framing of the GDB Remote Serial Protocol (gdb's manual, "Remote Protocol",
// "Overview"): a packet is `$payload#cs`, cs the modulo-256 sum of the payload's bytes as
// two hex digits; the receiver answers `+` (taken) or `-` (send again); a lone 0x03 byte
// outside a packet asks the target to stop. Inside the payload `}` escapes the next byte
// (XORed with 0x20) and `*` run-length encodes; a stub may use neither on output.
//
// Every byte here comes from the debugger's socket and is untrusted: PacketReader accepts
// any byte sequence, holds at most kMaxPacket payload bytes, and turns everything it
// cannot use into a kBad input (answered `-`), never into a crash, a wait or a large
// allocation (tests/rsp_packet_test.cpp fuzzes it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::debug {

// The largest payload the stub takes (and announces in qSupported as PacketSize).
inline constexpr size_t kMaxPacket = 16384;

struct RspInput {
  enum Kind : uint8_t {
    kPacket,     // a well-formed packet: payload holds it, escapes still in place
    kBad,        // a packet with a wrong checksum, too long or cut by a new '$'
    kInterrupt,  // 0x03 between packets
    kAck,        // '+'
    kNack,       // '-'
  };
  Kind kind;
  std::string payload;
};

class PacketReader {
 public:
  // Feeds one byte; returns an input when the byte completes one.
  std::optional<RspInput> feed(uint8_t byte);
  // Feeds many and appends every completed input to `out`.
  void feed(std::span<const uint8_t> bytes, std::vector<RspInput>& out);

 private:
  enum class State : uint8_t { kIdle, kPayload, kCheck1, kCheck2 };
  State state_ = State::kIdle;
  std::string payload_;
  bool overflow_ = false;
  uint8_t sum_ = 0;
  uint8_t check_ = 0;
};

// `$payload#cs` for a payload the stub built (printable, no '$', '#', '}' or '*').
std::string frame_packet(std::string_view payload);

// Hex helpers (lower case, two digits per byte, as gdb sends and expects).
std::string to_hex(std::span<const uint8_t> bytes);
std::string to_hex(std::string_view text);
// Decodes an even number of hex digits; nothing when a digit is not hex or the count odd.
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);
// A hex number of at most 8 digits (addresses, lengths, register numbers).
std::optional<uint32_t> parse_hex32(std::string_view hex);
// Undoes `}` escapes of binary data (the X packet); nothing when the data ends in `}`.
std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data);

}  // namespace vmlab::debug
