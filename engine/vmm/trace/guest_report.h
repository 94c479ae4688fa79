// GuestReport: what the guest OS printed about itself, parsed from its console
// (docs/guest.md, "Output format"): one record per `result` line, the `kstat` line and
// the `done status=` line. Other lines (the banner, a workload's own output) are ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vmlab::vmm {

struct GuestRecord {
  // key=value fields in line order; values as printed (quotes of "..." removed).
  std::vector<std::pair<std::string, std::string>> fields;

  const std::string* get(std::string_view key) const;
};

struct GuestReport {
  std::vector<GuestRecord> results;  // `result workload=... iters=... cycles=...`
  std::vector<GuestRecord> errors;   // `error ...`
  std::optional<GuestRecord> kstat;
  std::optional<int> done_status;

  static GuestReport parse(std::string_view console);
  // The result line of one workload, if the guest printed one.
  const GuestRecord* result_of(std::string_view workload) const;
};

// Splits `key=value key="quoted value"` words.
GuestRecord parse_fields(std::string_view text);

}  // namespace vmlab::vmm
