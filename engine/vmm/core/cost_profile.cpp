#include "engine/vmm/core/cost_profile.h"

#include <cerrno>
#include <cstdlib>

#include "engine/machine/host_file.h"

namespace vmlab::vmm {

namespace {

using machine::Error;
using machine::Result;

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::optional<uint64_t> parse_cycles(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool valid_key_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

CostProfile::CostProfile() {
  for (uint8_t c = 0; c < cpu::kNumCostClasses; ++c) {
    figures_.push_back({cpu::cost_class_name(c), 1, kDefaultSource});
  }
  for (EventKind k : all_event_kinds()) {
    figures_.push_back({"event." + std::string(event_kind_name(k)), 0, kDefaultSource});
  }
  sync_arrays();
}

CostProfile::Figure* CostProfile::find(std::string_view key) {
  for (Figure& f : figures_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::optional<uint64_t> CostProfile::figure(std::string_view key) const {
  for (const Figure& f : figures_) {
    if (f.key == key) return f.cycles;
  }
  return std::nullopt;
}

cpu::ClassCosts CostProfile::class_costs() const {
  cpu::ClassCosts costs{};
  for (uint8_t c = 0; c < cpu::kNumCostClasses; ++c) {
    costs[c] = static_cast<uint32_t>(figures_[c].cycles);
  }
  return costs;
}

void CostProfile::sync_arrays() {
  event_costs_.fill(0);
  for (EventKind k : all_event_kinds()) {
    event_costs_[index_of(k)] = figures_[cpu::kNumCostClasses + index_of(k) - 1].cycles;
  }
}

Result<void> CostProfile::set(std::string_view key_in, uint64_t cycles, std::string source) {
  std::string key(key_in);
  if (key.find('.') == std::string::npos) {
    if (!event_kind_from_name(key)) {
      return Error{"unknown cost '" + key +
                       "': give an event kind (port_io, trap, ...) or a key such as "
                       "event.port_io, insn.simple or vt.entry",
                   EINVAL};
    }
    key = "event." + key;
  }
  if (!valid_key_word(key) || key.front() == '.' || key.back() == '.') {
    return Error{"bad cost key '" + key + "' (lower-case words joined by dots)", EINVAL};
  }
  if (cycles > kMaxCycles) {
    return Error{"cost '" + key + "' of " + std::to_string(cycles) +
                     " cycles is too large: a figure is at most " + std::to_string(kMaxCycles) +
                     " cycles (1 ms at 1 GHz)",
                 EINVAL};
  }
  if (Figure* f = find(key)) {
    if (key.rfind("insn.", 0) == 0 && cycles == 0) {
      return Error{"cost '" + key + "' must be at least 1 cycle (time must advance)", EINVAL};
    }
    f->cycles = cycles;
    f->source = std::move(source);
    sync_arrays();
    return {};
  }
  if (key.rfind("insn.", 0) == 0 || key.rfind("event.", 0) == 0) {
    return Error{"unknown cost '" + key + "' (see docs/cost-model.md for the keys)", EINVAL};
  }
  figures_.push_back({key, cycles, std::move(source)});
  return {};
}

Result<CostProfile> CostProfile::parse(std::string_view text, const std::string& origin) {
  CostProfile p;
  p.origin_ = origin;
  p.name_.clear();
  size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto where = origin + ":" + std::to_string(line_no) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error{where + "expected 'key = value'", EINVAL};
    }
    const std::string key(trim(line.substr(0, eq)));
    const std::string_view rest = trim(line.substr(eq + 1));
    if (key == "name" || key == "description") {
      (key == "name" ? p.name_ : p.description_) = std::string(rest);
      continue;
    }
    const auto bar = rest.find('|');
    const std::string_view number = trim(rest.substr(0, bar));
    const std::string_view source =
        bar == std::string_view::npos ? std::string_view() : trim(rest.substr(bar + 1));
    const auto cycles = parse_cycles(number);
    if (!cycles) {
      return Error{
          where + "'" + key + "' needs a whole number of cycles, got '" + std::string(number) + "'",
          EINVAL};
    }
    if (source.empty()) {
      return Error{where + "'" + key +
                       "' has no source: write 'key = cycles | paper, table, CPU' "
                       "(or '| vmlab default, not from a paper')",
                   EINVAL};
    }
    if (key.find('.') == std::string::npos) {
      return Error{where + "unknown key '" + key + "'", EINVAL};
    }
    if (auto r = p.set(key, *cycles, std::string(source)); !r) {
      return Error{where + r.error().message, EINVAL};
    }
  }
  if (p.name_.empty()) return Error{origin + ": the profile has no 'name = ...' line", EINVAL};
  return p;
}

Result<CostProfile> CostProfile::load_file(const std::string& path) {
  auto text = machine::read_host_file(path, "the cost profile", kMaxFileBytes);
  if (!text) return text.error();
  return parse(
      std::string_view(reinterpret_cast<const char*>(text.value().data()), text.value().size()),
      path);
}

}  // namespace vmlab::vmm
