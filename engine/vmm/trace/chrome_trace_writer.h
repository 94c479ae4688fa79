// ChromeTraceWriter: the event trace in the Chrome trace-event format (trace.json), which
// Perfetto (ui.perfetto.dev) and chrome://tracing open. Each event class (EventKind) is a
// track of its own (tid = the kind's id, named by a thread_name metadata event), and each
// event a complete slice ("ph": "X") whose duration is the cycles charged for it; a counter
// track per class ("ph": "C", named "<kind> cycles") climbs by those cycles, so the viewer
// shows where modeled time went. "ts" and "dur" are modeled microseconds (cycles /
// cpu_mhz): the timeline shows the modeled machine, never the host. EIPs are written in hex,
// exit reasons, exception vectors and hypercalls by name beside their numbers. A path
// ending in ".gz" is written gzip-compressed. Format: docs/trace-format.md.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/trace_writer.h"
#include "engine/vmm/trace/trace_output.h"

namespace vmlab::vmm {

// A name for one of an event's payload values: the arg it is written under and the name.
struct PayloadName {
  const char* key;
  std::string name;
};
// Names an event's payload for the viewer (nothing when there is no name to add).
using EventNamer = std::function<std::optional<PayloadName>(const Event&)>;

class ChromeTraceWriter : public TraceWriter {
 public:
  static constexpr int kPid = 1;

  static machine::Result<std::unique_ptr<ChromeTraceWriter>> create(const std::string& path,
                                                                    uint32_t cpu_mhz,
                                                                    EventNamer namer = {});

  void write(const Event& event) override;
  machine::Result<void> finish() override;

  // Modeled cycles as microseconds with three decimals, by integer arithmetic so that the
  // text is the same on every host ("12.345").
  static std::string microseconds(uint64_t cycles, uint32_t cpu_mhz);
  // "0x0010ABCD".
  static std::string hex32(uint32_t v);

 private:
  ChromeTraceWriter(std::unique_ptr<TraceOutput> out, uint32_t cpu_mhz, EventNamer namer);
  void name_track(EventKind kind);

  std::unique_ptr<TraceOutput> out_;
  uint32_t cpu_mhz_;
  EventNamer namer_;
  std::bitset<kNumEventKinds> named_;                  // tracks with their metadata written
  std::array<uint64_t, kNumEventKinds> cumulative_{};  // cycles charged so far, per class
  std::string line_;
};

}  // namespace vmlab::vmm
