#include "engine/vmm/trace/jsonl_trace_writer.h"

#include <cerrno>

#include "engine/vmm/trace/event_json.h"

namespace vmlab::vmm {

machine::Result<std::unique_ptr<JsonlTraceWriter>> JsonlTraceWriter::create(
    const std::string& path) {
  auto out = TraceOutput::open(path);
  if (!out) return out.error();
  return std::unique_ptr<JsonlTraceWriter>(new JsonlTraceWriter(std::move(out.value())));
}

void JsonlTraceWriter::write(const Event& event) {
  JsonWriter json;
  write_event_object(json, event);
  line_.assign(json.str());
  line_ += '\n';
  out_->write(line_);
}

machine::Result<void> JsonlTraceWriter::finish() {
  return out_->close();
}

}  // namespace vmlab::vmm
