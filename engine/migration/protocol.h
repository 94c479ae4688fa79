// The live-migration protocol between two vmlab processes (docs/migration.md, "Protocol").
//
// One TCP connection, a sequence of frames: type (u8) | payload length (u32) | payload,
// little-endian. The source sends HELLO, then PAGES frames round by round, then STATE and
// DONE; the destination answers HELLO and DONE with ACK or REFUSE, and waits for COMMIT
// before it resumes the guest (Clark et al., NSDI 2005, section 3: the destination holds a
// consistent image before the source gives up the VM).
//
//   HELLO   magic "VMLABMIG", protocol version (u32), the vmlab version, the source's
//           configuration fingerprint (key/value pairs), its `vmlab run` arguments, the
//           guest's console input bytes, the machine memory's size in bytes
//   PAGES   round (u32), count (u32, 1..kMaxPagesPerFrame), then count times: a page
//           index (u32) and 4096 bytes
//   STATE   snapshot sections (engine/snapshot/vm_capture.h): count (u32), then each one's
//           tag (u32), length (u32) and bytes
//   DONE    rounds (u32)
//   ACK     nothing; REFUSE: a message (string)
//   COMMIT  nothing
//
// Every frame read is hostile input: its length is checked against its type's limit
// before anything is allocated, and every field against what is left (decode_* below).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/machine/result.h"
#include "engine/snapshot/snapshot_file.h"

namespace vmlab::migration {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr uint32_t kPageBytes = 4096;
inline constexpr uint32_t kMaxPagesPerFrame = 256;
// The console input a run may carry (as `vmlab run --input`), plus the rest of HELLO.
inline constexpr uint32_t kMaxInputBytes = 64u << 20;
inline constexpr uint32_t kMaxHelloBytes = kMaxInputBytes + (1u << 20);
inline constexpr uint32_t kMaxStateBytes = 64u << 20;
inline constexpr uint32_t kMaxArguments = 4096;

enum class FrameType : uint8_t {
  kHello = 1,
  kPages = 2,
  kState = 3,
  kDone = 4,
  kAck = 5,
  kRefuse = 6,
  kCommit = 7,
};

struct Frame {
  FrameType type = FrameType::kAck;
  std::vector<uint8_t> payload;
};

// The largest payload a frame of `type` may have; 0 for an unknown type.
uint32_t max_payload(uint8_t type);
const char* frame_name(FrameType type);

struct Hello {
  uint32_t protocol_version = kProtocolVersion;
  std::string vmlab_version;
  std::vector<std::pair<std::string, std::string>> fingerprint;
  std::vector<std::string> arguments;  // `vmlab run`'s, without the migration options
  std::vector<uint8_t> input;          // the guest's console input
  uint32_t memory_bytes = 0;           // machine memory: guest RAM and the mode's reserve
};

struct PageRef {
  uint32_t index = 0;
  std::span<const uint8_t> bytes;  // kPageBytes
};

struct Pages {
  uint32_t round = 0;
  std::vector<PageRef> pages;  // views into the decoded payload
};

std::vector<uint8_t> encode_hello(const Hello& h);
// Pages of `memory` (each index < memory.size() / kPageBytes), at most kMaxPagesPerFrame.
std::vector<uint8_t> encode_pages(uint32_t round, std::span<const uint32_t> indexes,
                                  std::span<const uint8_t> memory);
std::vector<uint8_t> encode_state(const std::vector<snapshot::Section>& sections);
std::vector<uint8_t> encode_done(uint32_t rounds);
std::vector<uint8_t> encode_refuse(const std::string& message);

// The decoders check everything; the errors name what is wrong.
machine::Result<Hello> decode_hello(std::span<const uint8_t> payload);
// The page views point into `payload`, which must outlive the result.
machine::Result<Pages> decode_pages(std::span<const uint8_t> payload);
machine::Result<std::vector<snapshot::Section>> decode_state(std::span<const uint8_t> payload);
machine::Result<uint32_t> decode_done(std::span<const uint8_t> payload);
machine::Result<std::string> decode_refuse(std::span<const uint8_t> payload);

}  // namespace vmlab::migration
