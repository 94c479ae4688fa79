// RSP framing (rsp_packet.h).
#include "engine/debug/rsp_packet.h"

namespace vmlab::debug {

namespace {

int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::optional<RspInput> PacketReader::feed(uint8_t byte) {
  switch (state_) {
    case State::kIdle:
      if (byte == '$') {
        state_ = State::kPayload;
        payload_.clear();
        overflow_ = false;
        sum_ = 0;
        return std::nullopt;
      }
      if (byte == 0x03) return RspInput{RspInput::kInterrupt, {}};
      if (byte == '+') return RspInput{RspInput::kAck, {}};
      if (byte == '-') return RspInput{RspInput::kNack, {}};
      return std::nullopt;  // noise between packets is dropped
    case State::kPayload:
      if (byte == '#') {
        state_ = State::kCheck1;
        return std::nullopt;
      }
      if (byte == '$') {
        // A new packet before this one ended: this one is lost, the new one starts.
        payload_.clear();
        overflow_ = false;
        sum_ = 0;
        return RspInput{RspInput::kBad, {}};
      }
      sum_ = static_cast<uint8_t>(sum_ + byte);
      if (payload_.size() < kMaxPacket) {
        payload_.push_back(static_cast<char>(byte));
      } else {
        overflow_ = true;
      }
      return std::nullopt;
    case State::kCheck1: {
      const int d = hex_digit(byte);
      if (d < 0) {
        state_ = State::kIdle;
        payload_.clear();
        return RspInput{RspInput::kBad, {}};
      }
      check_ = static_cast<uint8_t>(d << 4);
      state_ = State::kCheck2;
      return std::nullopt;
    }
    case State::kCheck2: {
      state_ = State::kIdle;
      const int d = hex_digit(byte);
      std::string payload = std::move(payload_);
      payload_.clear();
      if (d < 0 || overflow_ || static_cast<uint8_t>(check_ | d) != sum_) {
        return RspInput{RspInput::kBad, {}};
      }
      return RspInput{RspInput::kPacket, std::move(payload)};
    }
  }
  return std::nullopt;
}

void PacketReader::feed(std::span<const uint8_t> bytes, std::vector<RspInput>& out) {
  for (uint8_t b : bytes) {
    if (auto in = feed(b)) out.push_back(std::move(*in));
  }
}

std::string frame_packet(std::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  out.append(payload);
  out.push_back('#');
  out.push_back(kHex[sum >> 4]);
  out.push_back(kHex[sum & 15]);
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string to_hex(std::string_view text) {
  return to_hex(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(static_cast<uint8_t>(hex[i]));
    const int lo = hex_digit(static_cast<uint8_t>(hex[i + 1]));
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::optional<uint32_t> parse_hex32(std::string_view hex) {
  if (hex.empty() || hex.size() > 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : hex) {
    const int d = hex_digit(static_cast<uint8_t>(c));
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint32_t>(d);
  }
  return v;
}

std::optional<std::vector<uint8_t>> unescape_binary(std::string_view data) {
  std::vector<uint8_t> out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '}') {
      if (i + 1 >= data.size()) return std::nullopt;
      out.push_back(static_cast<uint8_t>(data[++i] ^ 0x20));
    } else {
      out.push_back(static_cast<uint8_t>(data[i]));
    }
  }
  return out;
}

}  // namespace vmlab::debug
