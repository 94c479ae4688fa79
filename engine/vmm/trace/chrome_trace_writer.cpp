#include "engine/vmm/trace/chrome_trace_writer.h"

#include <cerrno>
#include <cstdio>

#include "engine/vmm/trace/event_json.h"

namespace vmlab::vmm {

machine::Result<std::unique_ptr<ChromeTraceWriter>> ChromeTraceWriter::create(
    const std::string& path, uint32_t cpu_mhz) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return machine::Error{"cannot create trace file " + path, ENOENT};
  return std::unique_ptr<ChromeTraceWriter>(
      new ChromeTraceWriter(path, std::move(out), cpu_mhz == 0 ? 1 : cpu_mhz));
}

ChromeTraceWriter::ChromeTraceWriter(std::string path, std::ofstream out, uint32_t cpu_mhz)
    : path_(std::move(path)), out_(std::move(out)), cpu_mhz_(cpu_mhz) {
  // The metadata events name the process and thread tracks in the viewer.
  out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
       << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << kPid << ",\"tid\":" << kTid
       << ",\"args\":{\"name\":\"vmlab guest\"}},\n"
       << "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << kPid << ",\"tid\":" << kTid
       << ",\"args\":{\"name\":\"vcpu0\"}}";
  first_ = false;
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

void ChromeTraceWriter::write(const Event& event) {
  JsonWriter json;
  json.begin_object()
      .key("name")
      .value(event_kind_name(event.kind))
      .key("cat")
      .value(mode_name(event.mode))
      .key("ph")
      .value("i")
      .key("s")
      .value("t")
      .key("ts")
      .number_text(microseconds(event.cycle, cpu_mhz_))
      .key("pid")
      .value(kPid)
      .key("tid")
      .value(kTid)
      .key("args")
      .begin_object()
      .key("seq")
      .value(event.seq)
      .key("cycle")
      .value(event.cycle)
      .key("eip")
      .value(event.eip)
      .key("cpl")
      .value(uint32_t{event.cpl})
      .key("charged")
      .value(event.charged);
  write_event_payload(json, event);
  json.end_object().end_object();
  out_ << (first_ ? "" : ",\n") << json.str();
  first_ = false;
}

machine::Result<void> ChromeTraceWriter::finish() {
  out_ << "\n]}\n";
  out_.flush();
  if (!out_) return machine::Error{"error writing trace file " + path_, EIO};
  out_.close();
  return {};
}

}  // namespace vmlab::vmm
