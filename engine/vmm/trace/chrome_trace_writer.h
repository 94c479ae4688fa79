// ChromeTraceWriter: the event trace in the Chrome trace-event format (trace.json), which
// Perfetto (ui.perfetto.dev) and chrome://tracing open. Every event is an instant event
// ("ph": "i") on one track; "ts" is modeled time in microseconds (cycles / cpu_mhz), so
// the timeline shows the modeled machine, never the host. Format: docs/trace-format.md.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/trace_writer.h"

namespace vmlab::vmm {

class ChromeTraceWriter : public TraceWriter {
 public:
  static constexpr int kPid = 1;
  static constexpr int kTid = 1;

  static machine::Result<std::unique_ptr<ChromeTraceWriter>> create(const std::string& path,
                                                                    uint32_t cpu_mhz);

  void write(const Event& event) override;
  machine::Result<void> finish() override;

  // Modeled cycles as microseconds with three decimals, by integer arithmetic so that the
  // text is the same on every host ("12.345").
  static std::string microseconds(uint64_t cycles, uint32_t cpu_mhz);

 private:
  ChromeTraceWriter(std::string path, std::ofstream out, uint32_t cpu_mhz);

  std::string path_;
  std::ofstream out_;
  uint32_t cpu_mhz_;
  bool first_ = true;
};

}  // namespace vmlab::vmm
