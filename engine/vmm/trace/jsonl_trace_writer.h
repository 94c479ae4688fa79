// JsonlTraceWriter: the event trace as JSON Lines (trace.jsonl), one event object per
// line, for scripts (python's json module, jq). A path ending in ".gz" is written gzip-
// compressed (trace_output.h). Format: docs/trace-format.md.
#pragma once

#include <memory>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/trace_writer.h"
#include "engine/vmm/trace/trace_output.h"

namespace vmlab::vmm {

class JsonlTraceWriter : public TraceWriter {
 public:
  static machine::Result<std::unique_ptr<JsonlTraceWriter>> create(const std::string& path);

  void write(const Event& event) override;
  machine::Result<void> finish() override;

 private:
  explicit JsonlTraceWriter(std::unique_ptr<TraceOutput> out) : out_(std::move(out)) {}

  std::unique_ptr<TraceOutput> out_;
  std::string line_;
};

}  // namespace vmlab::vmm
