#include "frontend/compare_output.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string>

#include "engine/vmm/trace/json_writer.h"

namespace vmlab::frontend {

namespace {

std::string fmt(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// The native measurement of the same workload, the baseline of the ratio.
const Measurement* native_of(const std::vector<Measurement>& rows, const Measurement& m) {
  for (const Measurement& r : rows) {
    if (r.ok && r.mode == vmm::ModeId::native && r.workload == m.workload) return &r;
  }
  return nullptr;
}

std::optional<double> ratio(const std::vector<Measurement>& rows, const Measurement& m) {
  const Measurement* n = native_of(rows, m);
  if (n == nullptr || !m.ok || n->cycles_per_op <= 0) return std::nullopt;
  return m.cycles_per_op / n->cycles_per_op;
}

// Event kinds with at least `min` per operation, most frequent first (ties: kind order).
std::vector<unsigned> busiest_kinds(const Measurement& m, double min) {
  std::vector<unsigned> kinds;
  for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) {
    if (m.events_per_op[i] >= min) kinds.push_back(i);
  }
  std::stable_sort(kinds.begin(), kinds.end(),
                   [&](unsigned a, unsigned b) { return m.events_per_op[a] > m.events_per_op[b]; });
  return kinds;
}

std::string pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

// The block-I/O figures of a disk workload's row (docs/guest.md, "Disk workloads"): per
// request (one request the disk took, a blk_request event: an ATA command, or a request of
// the PV block ring) and per KiB moved, for the event kinds by which each mode reaches the
// device: traps and VM exits, BT callouts, hypercalls and ring notifications. Absent
// (nullopt) where the divisor is 0.
constexpr vmm::EventKind kBlockKinds[] = {vmm::EventKind::trap, vmm::EventKind::bt_callout,
                                          vmm::EventKind::hypercall, vmm::EventKind::ring_notify};
constexpr const char* kBlockKindShort[] = {"trap", "call", "hcall", "ntfy"};

bool is_block_io(const Measurement& m) {
  return m.ok && (m.bytes_per_op > 0 || m.requests_per_op > 0);
}
std::optional<double> per(double x, double divisor) {
  if (divisor <= 0) return std::nullopt;
  return x / divisor;
}
double kib_of(const Measurement& m) {
  return m.bytes_per_op / 1024.0;
}
std::optional<double> cycles_per_kib(const Measurement& m) {
  return per(m.cycles_per_op, kib_of(m));
}
double events(const Measurement& m, vmm::EventKind k) {
  return m.events_per_op[vmm::index_of(k)];
}
// The disk's requests per operation (ATA commands, or ring requests).
double block_requests(const Measurement& m) {
  return events(m, vmm::EventKind::blk_request);
}
// The batching factor: the disk's requests per notification to the PV block back end.
std::optional<double> requests_per_notification(const Measurement& m) {
  return per(block_requests(m), m.blk_notifications_per_op);
}

}  // namespace

void print_compare_table(std::ostream& out, const CompareHeader& h,
                         const std::vector<Measurement>& rows) {
  out << "vmlab compare: profile " << h.profile << ", guest " << h.kernel << "\n"
      << "cycles/op: the guest's own RDTSC measurement; events/op: differential (runs with N "
         "and 2N iterations)\n\n";
  // The mode column fits its longest label ("trap-classic").
  size_t mode_width = 8, workload_width = 10;
  for (const Measurement& m : rows) {
    mode_width = std::max(mode_width, m.label.size());
    workload_width = std::max(workload_width, m.workload.size());
  }
  out << pad("workload", workload_width, false) << " " << pad("mode", mode_width, false) << " "
      << pad("iters", 6, true) << " " << pad("cycles/op", 12, true) << " "
      << pad("x native", 8, true) << " " << pad("insns/op", 10, true) << "  "
      << "events/op (most frequent)\n";
  for (const Measurement& m : rows) {
    out << pad(m.workload, workload_width, false) << " " << pad(m.label, mode_width, false) << " "
        << pad(std::to_string(m.iters), 6, true) << " ";
    if (!m.ok) {
      out << (m.skipped ? "skipped: " : "failed: ") << m.error << "\n";
      continue;
    }
    const auto r = ratio(rows, m);
    out << pad(fmt(m.cycles_per_op, 1), 12, true) << " " << pad(r ? fmt(*r, 2) : "-", 8, true)
        << " " << pad(fmt(m.instructions_per_op, 1), 10, true) << "  ";
    const auto kinds = busiest_kinds(m, 0.005);
    for (size_t k = 0; k < kinds.size() && k < 4; ++k) {
      out << (k ? ", " : "") << vmm::event_kind_name(static_cast<vmm::EventKind>(kinds[k])) << " "
          << fmt(m.events_per_op[kinds[k]], 2);
    }
    if (kinds.empty()) out << "-";
    out << "\n";
  }
  print_block_io_table(out, rows);
}

void print_block_io_table(std::ostream& out, const std::vector<Measurement>& rows) {
  if (std::none_of(rows.begin(), rows.end(), is_block_io)) return;
  size_t mode_width = 8;
  for (const Measurement& m : rows) mode_width = std::max(mode_width, m.label.size());
  auto opt = [](std::optional<double> x, int decimals) { return x ? fmt(*x, decimals) : "-"; };
  out << "\nblock I/O per operation: a call is one file-system call of the workload, a request "
         "one the disk took (an ATA command, a ring request); trap = traps and VM exits, call = "
         "BT callouts, hcall = hypercalls, ntfy = ring notifications (both ways); req/ntfy = "
         "requests per notification to the PV block back end\n"
      << pad("workload", 12, false) << " " << pad("mode", mode_width, false) << " "
      << pad("KiB/op", 6, true) << " " << pad("calls/op", 8, true) << " " << pad("req/op", 8, true)
      << " " << pad("cycles/KiB", 11, true);
  for (const char* k : kBlockKindShort) {
    out << " " << pad(std::string(k) + "/req", 10, true) << " "
        << pad(std::string(k) + "/KiB", 10, true);
  }
  out << " " << pad("req/ntfy", 8, true) << " " << pad("create", 10, true) << " "
      << pad("delete", 10, true) << "\n";
  for (const Measurement& m : rows) {
    if (!is_block_io(m)) continue;
    out << pad(m.workload, 12, false) << " " << pad(m.label, mode_width, false) << " "
        << pad(fmt(kib_of(m), 1), 6, true) << " " << pad(fmt(m.requests_per_op, 0), 8, true) << " "
        << pad(fmt(block_requests(m), 2), 8, true) << " "
        << pad(opt(cycles_per_kib(m), 1), 11, true);
    for (vmm::EventKind k : kBlockKinds) {
      out << " " << pad(opt(per(events(m, k), block_requests(m)), 2), 10, true) << " "
          << pad(opt(per(events(m, k), kib_of(m)), 2), 10, true);
    }
    out << " " << pad(opt(requests_per_notification(m), 2), 8, true) << " "
        << pad(m.create_cycles_per_op > 0 ? fmt(m.create_cycles_per_op, 1) : "-", 10, true) << " "
        << pad(m.delete_cycles_per_op > 0 ? fmt(m.delete_cycles_per_op, 1) : "-", 10, true) << "\n";
  }
}

void print_compare_csv(std::ostream& out, const std::vector<Measurement>& rows) {
  out << "workload,mode,mode_id,iters,ok,cycles_per_op,ratio_to_native,modeled_cycles_per_op,"
         "instructions_per_op";
  for (vmm::EventKind k : vmm::all_event_kinds())
    out << "," << vmm::event_kind_name(k) << "_per_op";
  out << ",skipped,bytes_per_op,calls_per_op,requests_per_op,cycles_per_kib";
  for (vmm::EventKind k : kBlockKinds) {
    out << "," << vmm::event_kind_name(k) << "_per_request," << vmm::event_kind_name(k)
        << "_per_kib";
  }
  out << ",requests_per_notification,create_cycles_per_op,delete_cycles_per_op\n";
  for (const Measurement& m : rows) {
    out << m.workload << "," << m.label << "," << static_cast<unsigned>(m.mode) << "," << m.iters
        << "," << (m.ok ? 1 : 0);
    if (!m.ok) {
      out << ",,,,";
      for (size_t i = 1; i < vmm::kNumEventKinds; ++i) out << ",";
      out << "," << (m.skipped ? 1 : 0) << ",,,,";
      for (size_t i = 0; i < std::size(kBlockKinds); ++i) out << ",,";
      out << ",,,\n";
      continue;
    }
    const auto r = ratio(rows, m);
    out << "," << fmt(m.cycles_per_op, 1) << "," << (r ? fmt(*r, 3) : "") << ","
        << fmt(m.modeled_cycles_per_op, 1) << "," << fmt(m.instructions_per_op, 1);
    for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) out << "," << fmt(m.events_per_op[i], 3);
    auto opt = [](std::optional<double> x, int decimals) { return x ? fmt(*x, decimals) : ""; };
    const bool io = is_block_io(m);
    out << ",0," << (io ? fmt(m.bytes_per_op, 0) : "") << ","
        << (io ? fmt(m.requests_per_op, 0) : "") << "," << (io ? fmt(block_requests(m), 3) : "")
        << "," << opt(cycles_per_kib(m), 1);
    for (vmm::EventKind k : kBlockKinds) {
      out << "," << (io ? opt(per(events(m, k), block_requests(m)), 3) : "") << ","
          << (io ? opt(per(events(m, k), kib_of(m)), 3) : "");
    }
    out << "," << opt(requests_per_notification(m), 3) << ","
        << (m.create_cycles_per_op > 0 ? fmt(m.create_cycles_per_op, 1) : "") << ","
        << (m.delete_cycles_per_op > 0 ? fmt(m.delete_cycles_per_op, 1) : "") << "\n";
  }
}

void print_compare_json(std::ostream& out, const CompareHeader& h,
                        const std::vector<Measurement>& rows) {
  vmm::JsonWriter json(true);
  json.begin_object();
  json.key("schema").value("vmlab-compare/1");
  json.key("profile").value(h.profile);
  json.key("kernel").value(h.kernel);
  json.key("results").begin_array();
  for (const Measurement& m : rows) {
    json.begin_object();
    json.key("workload").value(m.workload);
    json.key("mode").value(m.label);
    json.key("mode_id").value(static_cast<uint32_t>(m.mode));
    json.key("iters").value(m.iters);
    json.key("ok").value(m.ok);
    if (!m.ok) {
      if (m.skipped) json.key("skipped").value(true);
      json.key(m.skipped ? "reason" : "error").value(m.error);
      json.end_object();
      continue;
    }
    json.key("cycles_per_op").fixed(m.cycles_per_op, 1);
    json.key("ratio_to_native");
    if (const auto r = ratio(rows, m)) {
      json.fixed(*r, 3);
    } else {
      json.null();
    }
    json.key("modeled_cycles_per_op").fixed(m.modeled_cycles_per_op, 1);
    json.key("instructions_per_op").fixed(m.instructions_per_op, 1);
    json.key("events_per_op").begin_object();
    for (unsigned i : busiest_kinds(m, 0.0005)) {
      json.key(vmm::event_kind_name(static_cast<vmm::EventKind>(i))).fixed(m.events_per_op[i], 3);
    }
    json.end_object();
    // The cycles charged per operation to each kind (the overhead by source, as Adams &
    // Agesen's Fig. 5); the rest of modeled_cycles_per_op is the instructions' own cost.
    json.key("event_cycles_per_op").begin_object();
    for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) {
      if (m.event_cycles_per_op[i] < 0.05) continue;
      json.key(vmm::event_kind_name(static_cast<vmm::EventKind>(i)))
          .fixed(m.event_cycles_per_op[i], 1);
    }
    json.end_object();
    if (is_block_io(m)) {
      // Per request (one the disk took) and per KiB moved; calls are the workload's
      // file-system calls.
      json.key("block_io").begin_object();
      json.key("bytes_per_op").fixed(m.bytes_per_op, 0);
      json.key("calls_per_op").fixed(m.requests_per_op, 0);
      json.key("requests_per_op").fixed(block_requests(m), 3);
      auto put = [&](const std::string& key, std::optional<double> x, int decimals) {
        json.key(key);
        if (x) {
          json.fixed(*x, decimals);
        } else {
          json.null();
        }
      };
      put("cycles_per_kib", cycles_per_kib(m), 1);
      for (vmm::EventKind k : kBlockKinds) {
        const std::string name(vmm::event_kind_name(k));
        put(name + "_per_request", per(events(m, k), block_requests(m)), 3);
        put(name + "_per_kib", per(events(m, k), kib_of(m)), 3);
      }
      put("requests_per_notification", requests_per_notification(m), 3);
      if (m.create_cycles_per_op > 0) {
        json.key("create_cycles_per_op").fixed(m.create_cycles_per_op, 1);
        json.key("delete_cycles_per_op").fixed(m.delete_cycles_per_op, 1);
      }
      json.end_object();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << json.str() << "\n";
}

}  // namespace vmlab::frontend
