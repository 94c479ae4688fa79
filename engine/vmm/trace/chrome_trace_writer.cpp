#include "engine/vmm/trace/chrome_trace_writer.h"

#include <cstdio>

#include "engine/vmm/trace/event_json.h"

namespace vmlab::vmm {

machine::Result<std::unique_ptr<ChromeTraceWriter>> ChromeTraceWriter::create(
    const std::string& path, uint32_t cpu_mhz, EventNamer namer) {
  auto out = TraceOutput::open(path);
  if (!out) return out.error();
  return std::unique_ptr<ChromeTraceWriter>(
      new ChromeTraceWriter(std::move(out.value()), cpu_mhz == 0 ? 1 : cpu_mhz, std::move(namer)));
}

ChromeTraceWriter::ChromeTraceWriter(std::unique_ptr<TraceOutput> out, uint32_t cpu_mhz,
                                     EventNamer namer)
    : out_(std::move(out)), cpu_mhz_(cpu_mhz), namer_(std::move(namer)) {
  // One object a line (the GUI reads the file line by line, gui/run_loader.cpp): the
  // header, the process's name, then the events with each track's names before its first.
  out_->write(
      "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
      "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"vmlab "
      "guest\"}}");
}

std::string ChromeTraceWriter::microseconds(uint64_t cycles, uint32_t cpu_mhz) {
  // cycles / MHz = microseconds; the remainder gives the nanoseconds.
  const uint64_t us = cycles / cpu_mhz;
  const uint64_t ns = (cycles % cpu_mhz) * 1000 / cpu_mhz;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(us),
                static_cast<unsigned long long>(ns));
  return buf;
}

std::string ChromeTraceWriter::hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

void ChromeTraceWriter::name_track(EventKind kind) {
  const unsigned id = index_of(kind);
  if (named_.test(id)) return;
  named_.set(id);
  // The slices' track (a thread, tid = the kind's id, sorted by it): two metadata events
  // that differ only in their name and their one argument.
  const auto metadata = [&](const char* name, const char* arg, auto value) {
    JsonWriter json;
    json.begin_object()
        .key("name")
        .value(name)
        .key("ph")
        .value("M")
        .key("pid")
        .value(kPid)
        .key("tid")
        .value(id)
        .key("args")
        .begin_object()
        .key(arg)
        .value(value)
        .end_object()
        .end_object();
    line_ += ",\n";
    line_ += json.str();
  };
  metadata("thread_name", "name", event_kind_name(kind));
  metadata("thread_sort_index", "sort_index", id);
}

void ChromeTraceWriter::write(const Event& event) {
  line_.clear();
  name_track(event.kind);
  const unsigned id = index_of(event.kind);
  JsonWriter json;
  json.begin_object()
      .key("name")
      .value(event_kind_name(event.kind))
      .key("cat")
      .value(mode_name(event.mode))
      .key("ph")
      .value("X")
      .key("ts")
      .number_text(microseconds(event.cycle, cpu_mhz_))
      .key("dur")
      .number_text(microseconds(event.charged, cpu_mhz_))
      .key("pid")
      .value(kPid)
      .key("tid")
      .value(id)
      .key("args")
      .begin_object()
      .key("seq")
      .value(event.seq)
      .key("cycle")
      .value(event.cycle)
      .key("eip")
      .value(hex32(event.eip))
      .key("cpl")
      .value(uint32_t{event.cpl})
      .key("charged")
      .value(event.charged);
  write_event_payload(json, event);
  if (namer_) {
    if (const auto name = namer_(event)) json.key(name->key).value(name->name);
  }
  json.end_object().end_object();
  line_ += ",\n";
  line_ += json.str();
  if (event.charged != 0) {
    // The class's cumulative cycles, at the end of the slice.
    cumulative_[id] += event.charged;
    JsonWriter counter;
    counter.begin_object()
        .key("name")
        .value(event_kind_name(event.kind))
        .key("ph")
        .value("C")
        .key("ts")
        .number_text(microseconds(event.cycle + event.charged, cpu_mhz_))
        .key("pid")
        .value(kPid)
        .key("args")
        .begin_object()
        .key("cycles")
        .value(cumulative_[id])
        .end_object()
        .end_object();
    line_ += ",\n";
    line_ += counter.str();
  }
  out_->write(line_);
}

machine::Result<void> ChromeTraceWriter::finish() {
  out_->write("\n]}\n");
  return out_->close();
}

}  // namespace vmlab::vmm
