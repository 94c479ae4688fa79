#include "modes/binary-translation/bt_run_record.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "engine/vmm/trace/json_writer.h"
#include "engine/vmm/trace/run_report.h"
#include "modes/binary-translation/bt_dump.h"
#include "modes/binary-translation/bt_mode.h"

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

// A dropped fragment's when and why.
struct Drop {
  const char* why;
  uint64_t cycle;
  uint64_t instructions;
};

const char* drop_name(TranslationCache::DropReason why) {
  switch (why) {
    case TranslationCache::DropReason::kInvalidated: return "invalidate";
    case TranslationCache::DropReason::kReplaced: return "replace";
    case TranslationCache::DropReason::kFlushed: return "flush";
  }
  return "unknown";
}

// One fragment's line (with its newline).
std::string fragment_line(const vmm::Vm& vm, const vmm::TranslationDetail& detail,
                          const std::optional<Drop>& drop) {
  const vmm::TranslationRow& row = detail.fragment;
  vmm::JsonWriter json;
  json.begin_object();
  json.key("index").value(row.index);
  json.key("guest_start").value(row.guest_start);
  json.key("guest_bytes").value(row.guest_bytes);
  json.key("tc_start").value(row.tc_start);
  json.key("tc_end").value(row.tc_end);
  json.key("guest_insns").value(row.guest_insns);
  json.key("translated_insns").value(row.translated_insns);
  json.key("callouts").value(row.callouts);
  // The guest bytes in `text` are read now (at the end, or at the drop): code the guest no
  // longer maps (its early boot code, once the kernel dropped the identity mapping) reads
  // as zeros, not as what was translated. The translated code is the cache's own and exact.
  json.key("guest_mapped").value(guest_mapped(vm, row.guest_start, row.guest_bytes));
  if (drop) {
    json.key("dropped").value(drop->why);
    json.key("dropped_cycle").value(drop->cycle);
    json.key("dropped_instructions").value(drop->instructions);
  }
  json.key("text").value(format_translation(detail));
  json.end_object();
  return json.take() + "\n";
}

// The fragments the cache drops, newest kept within the bound (start_run_record).
class DroppedFragments : public TranslationCache::DropObserver {
 public:
  DroppedFragments(vmm::Vm& vm, BtMonitor& monitor, size_t limit)
      : vm_(vm), monitor_(monitor), limit_(limit) {}

  bool dropping(const TranslationCache& cache, uint32_t index,
                TranslationCache::DropReason why) override {
    const bool flush = why == TranslationCache::DropReason::kFlushed;
    if (flush && !in_flush_) {
      // A flush tells its fragments newest first: all of them count as dropped, and once
      // its lines fill the bound the older ones could not be kept anyway.
      in_flush_ = true;
      dropped_ += cache.live_fragments();
    } else if (!flush) {
      ++dropped_;
    }
    if (flush && flush_bytes_ >= limit_) return false;
    const cpu::Cpu& cpu = vm_.machine().cpu();
    std::string line =
        fragment_line(vm_, fragment_detail(monitor_, index),
                      Drop{drop_name(why), cpu.cycles(), cpu.instructions_retired()});
    if (flush) {
      flush_bytes_ += line.size();
      flush_lines_.push_back(std::move(line));
    } else {
      keep(std::move(line));
    }
    return true;
  }

  void flush_done() override {
    for (auto it = flush_lines_.rbegin(); it != flush_lines_.rend(); ++it) keep(std::move(*it));
    flush_lines_.clear();
    flush_bytes_ = 0;
    in_flush_ = false;
  }

  // Oldest drop first.
  const std::deque<std::string>& lines() const { return lines_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void keep(std::string line) {
    bytes_ += line.size();
    lines_.push_back(std::move(line));
    while (bytes_ > limit_ && !lines_.empty()) {
      bytes_ -= lines_.front().size();
      lines_.pop_front();
    }
  }

  vmm::Vm& vm_;
  BtMonitor& monitor_;
  size_t limit_;
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  bool in_flush_ = false;
  std::vector<std::string> flush_lines_;
  size_t flush_bytes_ = 0;
};

BtMonitor* monitor_of(vmm::Vm& vm) {
  auto* mode = dynamic_cast<BtMode*>(&vm.mode_impl());
  return mode != nullptr ? mode->monitor() : nullptr;
}

}  // namespace

bool start_run_record(vmm::Vm& vm, size_t limit_bytes) {
  BtMonitor* monitor = monitor_of(vm);
  if (monitor == nullptr) return false;
  monitor->cache().set_drop_observer(std::make_shared<DroppedFragments>(vm, *monitor, limit_bytes));
  return true;
}

std::string run_record(vmm::Vm& vm, size_t limit_bytes) {
  BtMonitor* monitor = monitor_of(vm);
  if (monitor == nullptr) return {};
  const std::vector<vmm::TranslationRow> rows = vm.translations();  // oldest first
  const auto* log = dynamic_cast<const DroppedFragments*>(monitor->cache().drop_observer());
  // The live fragments newest first until the bound, then the dropped ones newest first in
  // what is left; written oldest drop first, then the live ones oldest first.
  std::vector<std::string> live;
  size_t bytes = 0;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    // The fragment's own detail: a live fragment's start is in the cache, so this looks it
    // up and translates nothing.
    const auto detail = vm.translation(it->guest_start);
    if (!detail || detail->fragment.index != it->index) continue;
    std::string line = fragment_line(vm, *detail, std::nullopt);
    if (bytes + line.size() > limit_bytes) break;
    bytes += line.size();
    live.push_back(std::move(line));
  }
  std::reverse(live.begin(), live.end());
  size_t dropped_first = 0;  // the oldest dropped line written
  if (log != nullptr) {
    dropped_first = log->lines().size();
    while (dropped_first > 0 && bytes + log->lines()[dropped_first - 1].size() <= limit_bytes) {
      bytes += log->lines()[--dropped_first].size();
    }
  }
  vmm::JsonWriter header;
  header.begin_object();
  header.key("schema").value("vmlab-bt-translations/2");
  header.key("fragments").value(static_cast<uint64_t>(rows.size()));
  header.key("written").value(static_cast<uint64_t>(live.size()));
  if (log != nullptr) {
    header.key("dropped").value(log->dropped());
    header.key("dropped_written").value(static_cast<uint64_t>(log->lines().size() - dropped_first));
  }
  header.key("limit_bytes").value(static_cast<uint64_t>(limit_bytes));
  header.end_object();
  std::string out = header.take() + "\n";
  out.reserve(out.size() + bytes);
  if (log != nullptr) {
    for (size_t i = dropped_first; i < log->lines().size(); ++i) out += log->lines()[i];
  }
  for (const std::string& line : live) out += line;
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
