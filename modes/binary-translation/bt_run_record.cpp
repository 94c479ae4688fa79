#include "modes/binary-translation/bt_run_record.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "engine/vmm/trace/json_writer.h"
#include "engine/vmm/trace/run_report.h"
#include "modes/binary-translation/bt_dump.h"

namespace vmlab::modes::bt {

namespace {

// Whether the guest's tables map every page of [start, start + bytes) now.
bool guest_mapped(const vmm::Vm& vm, uint32_t start, uint32_t bytes) {
  const uint32_t first = start >> 12;
  const uint32_t last = (start + std::max<uint32_t>(bytes, 1) - 1) >> 12;
  const uint32_t pages = last >= first ? last - first + 1 : 1;  // no wrap past 4 GiB
  const auto rows = vm.page_walk(first << 12, pages, pages);
  if (rows.size() != pages) return false;
  return std::all_of(rows.begin(), rows.end(),
                     [](const vmm::PageRow& r) { return r.guest_address.has_value(); });
}

}  // namespace

std::string run_record(vmm::Vm& vm, size_t limit_bytes) {
  const std::vector<vmm::TranslationRow> rows = vm.translations();  // oldest first
  if (rows.empty()) return {};
  // Newest first until the bound, then written oldest first.
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    // The fragment's own detail: a live fragment's start is in the cache, so this looks it
    // up and translates nothing.
    const auto detail = vm.translation(it->guest_start);
    if (!detail || detail->fragment.index != it->index) continue;
    vmm::JsonWriter json;
    json.begin_object();
    json.key("index").value(it->index);
    json.key("guest_start").value(it->guest_start);
    json.key("guest_bytes").value(it->guest_bytes);
    json.key("tc_start").value(it->tc_start);
    json.key("tc_end").value(it->tc_end);
    json.key("guest_insns").value(it->guest_insns);
    json.key("translated_insns").value(it->translated_insns);
    json.key("callouts").value(it->callouts);
    // The guest bytes in `text` are read now: code the guest no longer maps (its early boot
    // code, once the kernel dropped the identity mapping) reads as zeros, not as what was
    // translated. The translated code is the cache's own and always exact.
    json.key("guest_mapped").value(guest_mapped(vm, it->guest_start, it->guest_bytes));
    json.key("text").value(format_translation(*detail));
    json.end_object();
    std::string line = json.take() + "\n";
    if (bytes + line.size() > limit_bytes) break;
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  std::reverse(lines.begin(), lines.end());
  vmm::JsonWriter header;
  header.begin_object();
  header.key("schema").value("vmlab-bt-translations/1");
  header.key("fragments").value(static_cast<uint64_t>(rows.size()));
  header.key("written").value(static_cast<uint64_t>(lines.size()));
  header.key("limit_bytes").value(static_cast<uint64_t>(limit_bytes));
  header.end_object();
  std::string out = header.take() + "\n";
  out.reserve(out.size() + bytes);
  for (const std::string& line : lines) out += line;
  return out;
}

machine::Result<void> write_run_record(vmm::Vm& vm, const std::string& path) {
  const std::string text = run_record(vm);
  if (text.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec)
      return machine::Error{path +
                            ": cannot remove the earlier run's translations: " + ec.message()};
    return {};
  }
  return vmm::RunReport::write_file(path, text);
}

}  // namespace vmlab::modes::bt
