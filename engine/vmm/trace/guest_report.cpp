#include "engine/vmm/trace/guest_report.h"

#include <cstdlib>

namespace vmlab::vmm {

const std::string* GuestRecord::get(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

GuestRecord parse_fields(std::string_view text) {
  GuestRecord rec;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '=') ++i;
    if (i >= text.size() || text[i] != '=') {
      // A word without '=': skip it.
      while (i < text.size() && text[i] != ' ') ++i;
      continue;
    }
    std::string key(text.substr(start, i - start));
    ++i;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      const size_t close = text.find('"', i + 1);
      const size_t end = close == std::string_view::npos ? text.size() : close;
      value = std::string(text.substr(i + 1, end - i - 1));
      i = end == text.size() ? end : end + 1;
    } else {
      const size_t vstart = i;
      while (i < text.size() && text[i] != ' ') ++i;
      value = std::string(text.substr(vstart, i - vstart));
    }
    if (!key.empty()) rec.fields.emplace_back(std::move(key), std::move(value));
  }
  return rec;
}

GuestReport GuestReport::parse(std::string_view console) {
  GuestReport report;
  while (!console.empty()) {
    const auto nl = console.find('\n');
    std::string_view line = console.substr(0, nl);
    console = nl == std::string_view::npos ? std::string_view() : console.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.rfind("result ", 0) == 0) {
      report.results.push_back(parse_fields(line.substr(7)));
    } else if (line.rfind("error ", 0) == 0) {
      report.errors.push_back(parse_fields(line.substr(6)));
    } else if (line.rfind("kstat ", 0) == 0) {
      report.kstat = parse_fields(line.substr(6));
    } else if (line.rfind("done status=", 0) == 0) {
      report.done_status = std::atoi(std::string(line.substr(12)).c_str());
    }
  }
  return report;
}

const GuestRecord* GuestReport::result_of(std::string_view workload) const {
  for (const GuestRecord& r : results) {
    const std::string* w = r.get("workload");
    if (w != nullptr && *w == workload) return &r;
  }
  return nullptr;
}

}  // namespace vmlab::vmm
