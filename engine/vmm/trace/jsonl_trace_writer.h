// JsonlTraceWriter: the event trace as JSON Lines (trace.jsonl), one event object per
// line, for scripts (python's json module, jq). Format: docs/trace-format.md.
#pragma once

#include <fstream>
#include <memory>
#include <string>

#include "engine/machine/result.h"
#include "engine/vmm/core/trace_writer.h"

namespace vmlab::vmm {

class JsonlTraceWriter : public TraceWriter {
 public:
  static machine::Result<std::unique_ptr<JsonlTraceWriter>> create(const std::string& path);

  void write(const Event& event) override;
  machine::Result<void> finish() override;

 private:
  JsonlTraceWriter(std::string path, std::ofstream out)
      : path_(std::move(path)), out_(std::move(out)) {}

  std::string path_;
  std::ofstream out_;
};

}  // namespace vmlab::vmm
