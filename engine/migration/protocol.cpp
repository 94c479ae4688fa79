#include "engine/migration/protocol.h"

#include <cstring>

#include "engine/snapshot/byte_io.h"

namespace vmlab::migration {
namespace {

constexpr char kMagic[8] = {'V', 'M', 'L', 'A', 'B', 'M', 'I', 'G'};

machine::Error malformed(const std::string& what) {
  return machine::Error{"malformed migration frame: " + what, EPROTO};
}

}  // namespace

uint32_t max_payload(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kHello: return kMaxHelloBytes;
    case FrameType::kPages: return 8 + kMaxPagesPerFrame * (4 + kPageBytes);
    case FrameType::kState: return kMaxStateBytes;
    case FrameType::kDone: return 4;
    case FrameType::kRefuse: return 4 + 4096;
    case FrameType::kAck:
    case FrameType::kCommit: return 0;
  }
  return 0;
}

const char* frame_name(FrameType type) {
  switch (type) {
    case FrameType::kHello: return "HELLO";
    case FrameType::kPages: return "PAGES";
    case FrameType::kState: return "STATE";
    case FrameType::kDone: return "DONE";
    case FrameType::kAck: return "ACK";
    case FrameType::kRefuse: return "REFUSE";
    case FrameType::kCommit: return "COMMIT";
  }
  return "?";
}

std::vector<uint8_t> encode_hello(const Hello& h) {
  snapshot::ByteWriter w;
  w.bytes({reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic});
  w.u32(h.protocol_version);
  w.string(h.vmlab_version);
  w.u32(static_cast<uint32_t>(h.fingerprint.size()));
  for (const auto& [k, v] : h.fingerprint) {
    w.string(k);
    w.string(v);
  }
  w.u32(static_cast<uint32_t>(h.arguments.size()));
  for (const auto& a : h.arguments) w.string(a);
  w.u32(static_cast<uint32_t>(h.input.size()));
  w.bytes(h.input);
  w.u32(h.memory_bytes);
  return w.take();
}

machine::Result<Hello> decode_hello(std::span<const uint8_t> payload) {
  snapshot::ByteReader r(payload);
  auto magic = r.bytes(sizeof kMagic);
  if (r.failed() || std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0) {
    return machine::Error{"the peer is not a vmlab migration source (no VMLABMIG magic)", EPROTO};
  }
  Hello h;
  h.protocol_version = r.u32();
  if (!r.failed() && h.protocol_version != kProtocolVersion) {
    return machine::Error{"the source speaks migration protocol version " +
                              std::to_string(h.protocol_version) + ", this vmlab speaks " +
                              std::to_string(kProtocolVersion),
                          EPROTO};
  }
  h.vmlab_version = r.string(256);
  const uint32_t keys = r.u32();
  if (keys > 4096) return malformed("HELLO has " + std::to_string(keys) + " fingerprint keys");
  for (uint32_t i = 0; i < keys && !r.failed(); ++i) {
    std::string k = r.string(4096);
    std::string v = r.string(1u << 16);
    h.fingerprint.emplace_back(std::move(k), std::move(v));
  }
  const uint32_t args = r.u32();
  if (args > kMaxArguments) {
    return malformed("HELLO has " + std::to_string(args) + " arguments");
  }
  for (uint32_t i = 0; i < args && !r.failed(); ++i) h.arguments.push_back(r.string(1u << 16));
  const uint32_t input = r.u32();
  if (input > kMaxInputBytes) return malformed("HELLO's input is too large");
  auto bytes = r.bytes(input);
  h.input.assign(bytes.begin(), bytes.end());
  h.memory_bytes = r.u32();
  if (r.failed()) return malformed("HELLO is truncated");
  if (r.remaining() != 0) return malformed("HELLO has trailing bytes");
  return h;
}

std::vector<uint8_t> encode_pages(uint32_t round, std::span<const uint32_t> indexes,
                                  std::span<const uint8_t> memory) {
  snapshot::ByteWriter w;
  w.u32(round);
  w.u32(static_cast<uint32_t>(indexes.size()));
  for (uint32_t i : indexes) {
    w.u32(i);
    w.bytes(memory.subspan(size_t{i} * kPageBytes, kPageBytes));
  }
  return w.take();
}

machine::Result<Pages> decode_pages(std::span<const uint8_t> payload) {
  snapshot::ByteReader r(payload);
  Pages p;
  p.round = r.u32();
  const uint32_t count = r.u32();
  if (r.failed()) return malformed("PAGES is truncated");
  if (count == 0 || count > kMaxPagesPerFrame) {
    return malformed("PAGES carries " + std::to_string(count) + " pages (1 to " +
                     std::to_string(kMaxPagesPerFrame) + ")");
  }
  if (r.remaining() != uint64_t{count} * (4 + kPageBytes)) {
    return malformed("PAGES' length does not match its " + std::to_string(count) + " pages");
  }
  p.pages.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    PageRef ref;
    ref.index = r.u32();
    ref.bytes = r.bytes(kPageBytes);
    p.pages.push_back(ref);
  }
  if (r.failed()) return malformed("PAGES is truncated");
  return p;
}

std::vector<uint8_t> encode_state(const std::vector<snapshot::Section>& sections) {
  snapshot::ByteWriter w;
  w.u32(static_cast<uint32_t>(sections.size()));
  for (const auto& s : sections) {
    w.u32(s.tag);
    w.u32(static_cast<uint32_t>(s.bytes.size()));
    w.bytes(s.bytes);
  }
  return w.take();
}

machine::Result<std::vector<snapshot::Section>> decode_state(std::span<const uint8_t> payload) {
  snapshot::ByteReader r(payload);
  const uint32_t count = r.u32();
  if (r.failed() || count > snapshot::kMaxSections) {
    return malformed("STATE has " + std::to_string(count) + " sections (at most " +
                     std::to_string(snapshot::kMaxSections) + ")");
  }
  std::vector<snapshot::Section> out;
  for (uint32_t i = 0; i < count; ++i) {
    snapshot::Section s;
    s.tag = r.u32();
    const uint32_t len = r.u32();
    auto b = r.bytes(len);
    if (r.failed()) return malformed("STATE is truncated");
    s.bytes.assign(b.begin(), b.end());
    out.push_back(std::move(s));
  }
  if (r.remaining() != 0) return malformed("STATE has trailing bytes");
  return out;
}

std::vector<uint8_t> encode_done(uint32_t rounds) {
  snapshot::ByteWriter w;
  w.u32(rounds);
  return w.take();
}

machine::Result<uint32_t> decode_done(std::span<const uint8_t> payload) {
  snapshot::ByteReader r(payload);
  const uint32_t rounds = r.u32();
  if (r.failed() || r.remaining() != 0) return malformed("DONE is not 4 bytes");
  return rounds;
}

std::vector<uint8_t> encode_refuse(const std::string& message) {
  snapshot::ByteWriter w;
  w.string(message.substr(0, 4096));
  return w.take();
}

machine::Result<std::string> decode_refuse(std::span<const uint8_t> payload) {
  snapshot::ByteReader r(payload);
  std::string m = r.string(4096);
  if (r.failed() || r.remaining() != 0) return malformed("REFUSE is malformed");
  return m;
}

}  // namespace vmlab::migration
