#include "engine/vmm/trace/jsonl_trace_writer.h"

#include <cerrno>

#include "engine/vmm/trace/event_json.h"

namespace vmlab::vmm {

machine::Result<std::unique_ptr<JsonlTraceWriter>> JsonlTraceWriter::create(
    const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return machine::Error{"cannot create trace file " + path, ENOENT};
  return std::unique_ptr<JsonlTraceWriter>(new JsonlTraceWriter(path, std::move(out)));
}

void JsonlTraceWriter::write(const Event& event) {
  JsonWriter json;
  write_event_object(json, event);
  out_ << json.str() << '\n';
}

machine::Result<void> JsonlTraceWriter::finish() {
  out_.flush();
  if (!out_) return machine::Error{"error writing trace file " + path_, EIO};
  out_.close();
  return {};
}

}  // namespace vmlab::vmm
