#include "engine/migration/receiver.h"

#include <cstring>
#include <string>

namespace vmlab::migration {
namespace {

machine::Error out_of_order(const std::string& what) {
  return machine::Error{"migration protocol error: " + what, EPROTO};
}

}  // namespace

machine::Result<void> Receiver::take(const Frame& frame) {
  if (failed_) return out_of_order("a frame after the transfer was refused");
  auto r = take_unchecked(frame);
  if (!r) failed_ = true;
  return r;
}

machine::Result<void> Receiver::take_unchecked(const Frame& frame) {
  bytes_received_ += 5 + frame.payload.size();
  if (done_) return out_of_order(std::string(frame_name(frame.type)) + " after DONE");
  if (!hello_ && frame.type != FrameType::kHello) {
    return out_of_order(std::string(frame_name(frame.type)) + " before HELLO");
  }
  switch (frame.type) {
    case FrameType::kHello: {
      if (hello_) return out_of_order("a second HELLO");
      auto h = decode_hello(frame.payload);
      if (!h) return h.error();
      const uint32_t size = h.value().memory_bytes;
      if (size == 0 || size % kPageBytes != 0 || size > max_memory_bytes_) {
        return machine::Error{"migration HELLO names a machine memory of " + std::to_string(size) +
                                  " bytes (a multiple of 4096, at most " +
                                  std::to_string(max_memory_bytes_) + ")",
                              EPROTO};
      }
      memory_.assign(size, 0);
      hello_ = std::move(h.value());
      return {};
    }
    case FrameType::kPages: {
      if (have_state_) return out_of_order("PAGES after STATE");
      auto p = decode_pages(frame.payload);
      if (!p) return p.error();
      const Pages& pages = p.value();
      if (!rounds_.empty() && pages.round < rounds_.back().round) {
        return out_of_order("round " + std::to_string(pages.round) + " after round " +
                            std::to_string(rounds_.back().round));
      }
      const uint64_t frames = memory_.size() / kPageBytes;
      for (const PageRef& ref : pages.pages) {
        if (ref.index >= frames) {
          return machine::Error{"migration PAGES names page " + std::to_string(ref.index) +
                                    " of a machine of " + std::to_string(frames) + " pages",
                                EPROTO};
        }
      }
      for (const PageRef& ref : pages.pages) {
        std::memcpy(memory_.data() + size_t{ref.index} * kPageBytes, ref.bytes.data(), kPageBytes);
      }
      if (rounds_.empty() || rounds_.back().round != pages.round) {
        rounds_.push_back({pages.round, 0});
      }
      rounds_.back().pages += pages.pages.size();
      pages_received_ += pages.pages.size();
      return {};
    }
    case FrameType::kState: {
      if (have_state_) return out_of_order("a second STATE");
      auto s = decode_state(frame.payload);
      if (!s) return s.error();
      state_ = std::move(s.value());
      have_state_ = true;
      return {};
    }
    case FrameType::kDone: {
      if (!have_state_) return out_of_order("DONE before STATE");
      auto d = decode_done(frame.payload);
      if (!d) return d.error();
      rounds_announced_ = d.value();
      done_ = true;
      return {};
    }
    case FrameType::kAck:
    case FrameType::kRefuse:
    case FrameType::kCommit:
      return out_of_order(std::string(frame_name(frame.type)) + " from the source");
  }
  return out_of_order("an unknown frame");
}

}  // namespace vmlab::migration
