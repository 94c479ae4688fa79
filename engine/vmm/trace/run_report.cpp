#include "engine/vmm/trace/run_report.h"

#include <cerrno>
#include <fstream>

#include "engine/vmm/trace/guest_report.h"
#include "engine/vmm/trace/json_writer.h"

namespace vmlab::vmm {

namespace {

// A guest record as an object; values that are JSON numbers stay numbers.
void write_record(JsonWriter& json, const GuestRecord& record) {
  json.begin_inline_object();
  for (const auto& [k, v] : record.fields) {
    json.key(k);
    if (JsonWriter::is_json_number(v)) {
      json.number_text(v);
    } else {
      json.value(v);
    }
  }
  json.end_object();
}

}  // namespace

std::string RunReport::config_json(const Vm& vm, const Context& c) {
  const machine::MachineConfig& mc = vm.machine().config();
  const CostProfile& p = vm.profile();
  JsonWriter json(true);
  json.begin_object();
  json.key("schema").value(kConfigSchema);
  json.key("vmlab_version").value(c.vmlab_version);
  json.key("source_commit").value(c.source_commit);
  json.key("arguments").begin_array();
  for (const std::string& a : c.arguments) json.value(a);
  json.end_array();
  json.key("mode").value(mode_name(vm.mode()));
  json.key("mode_id").value(static_cast<uint32_t>(vm.mode()));
  json.key("variant").value(c.variant.empty() ? std::string(mode_name(vm.mode())) : c.variant);
  json.key("mode_description").value(vm.mode_impl().describe());
  json.key("kernel").begin_object();
  json.key("path").value(c.kernel_path);
  json.key("sha256").value(c.kernel_sha256);
  json.key("bytes").value(c.kernel_bytes);
  json.end_object();
  json.key("cmdline").value(mc.cmdline);
  json.key("files").begin_array();
  for (const Context::File& f : c.files) {
    json.begin_inline_object();
    const bool disk = f.role == "disk";
    json.key("role").value(f.role);
    json.key("path").value(f.path);
    json.key("sha256");
    if (disk) {
      json.null();
    } else {
      json.value(f.sha256);
    }
    json.key("index");
    if (disk) {
      json.value(uint32_t{f.index});
    } else {
      json.null();
    }
    json.key("readonly").value(f.readonly);
    json.key("bytes").value(f.bytes);
    json.end_object();
  }
  json.end_array();
  json.key("memory_mib").value(mc.memory_mib);
  json.key("cpu_mhz").value(mc.cpu_mhz);
  json.key("max_instructions").value(mc.max_instructions);
  json.key("trace").begin_object();
  json.key("enabled").value(c.trace);
  json.key("limit").value(c.trace_limit);
  json.end_object();
  json.key("profile").begin_object();
  json.key("name").value(p.name());
  json.key("description").value(p.description());
  json.key("file").value(p.origin());
  json.key("costs").begin_array();
  for (const CostProfile::Figure& f : p.figures()) {
    json.begin_inline_object();
    json.key("key").value(f.key);
    json.key("cycles").value(f.cycles);
    json.key("source").value(f.source);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  json.end_object();
  return json.take() + "\n";
}

std::string RunReport::stats_json(Vm& vm, const machine::RunResult& r, const std::string& variant) {
  const Recorder& rec = vm.recorder();
  const EventCounters& counters = rec.counters();
  const cpu::Cpu& cpu = vm.machine().cpu();
  const GuestReport guest = GuestReport::parse(vm.machine().console_output());

  JsonWriter json(true);
  json.begin_object();
  json.key("schema").value(kStatsSchema);
  json.key("mode").value(mode_name(vm.mode()));
  json.key("mode_id").value(static_cast<uint32_t>(vm.mode()));
  json.key("variant").value(variant.empty() ? std::string(mode_name(vm.mode())) : variant);
  json.key("profile").value(vm.profile().name());

  json.key("stop").begin_object();
  json.key("reason").value(machine::to_string(r.reason));
  json.key("reason_id").value(static_cast<uint32_t>(r.reason));
  json.key("exit_value");
  if (r.exit_value) {
    json.value(*r.exit_value);
  } else {
    json.null();
  }
  json.key("message").value(r.message);
  json.end_object();

  json.key("instructions").value(r.instructions);
  json.key("cycles").value(r.cycles);
  json.key("event_cycles").value(counters.total_cycles());
  json.key("events_total").value(counters.total_count());

  json.key("events").begin_object();
  for (EventKind k : all_event_kinds()) {
    json.key(event_kind_name(k)).begin_inline_object();
    json.key("id").value(uint32_t{index_of(k)});
    json.key("count").value(counters.count_of(k));
    json.key("cycles").value(counters.cycles_of(k));
    json.end_object();
  }
  json.end_object();

  json.key("tlb").begin_inline_object();
  json.key("hits").value(cpu.tlb_hits());
  json.key("misses").value(cpu.tlb_misses());
  json.key("flushes").value(cpu.tlb_flushes());
  json.key("invlpgs").value(cpu.tlb_invlpgs());
  json.end_object();

  json.key("trace").begin_inline_object();
  json.key("written").value(rec.trace_events_written());
  json.key("dropped").value(rec.trace_events_dropped());
  json.end_object();

  json.key("guest").begin_object();
  json.key("done_status");
  if (guest.done_status) {
    json.value(*guest.done_status);
  } else {
    json.null();
  }
  json.key("kstat");
  if (guest.kstat) {
    write_record(json, *guest.kstat);
  } else {
    json.null();
  }
  json.key("errors").begin_array();
  for (const GuestRecord& e : guest.errors) write_record(json, e);
  json.end_array();
  json.end_object();

  json.key("workloads").begin_array();
  for (const GuestRecord& w : guest.results) write_record(json, w);
  json.end_array();

  json.key("host").begin_object();
  json.key("wall_seconds").fixed(r.wall_seconds, 6);
  json.end_object();
  json.end_object();
  return json.take() + "\n";
}

machine::Result<void> RunReport::write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return machine::Error{"cannot create " + path, ENOENT};
  out << text;
  out.flush();
  if (!out) return machine::Error{"error writing " + path, EIO};
  return {};
}

}  // namespace vmlab::vmm
