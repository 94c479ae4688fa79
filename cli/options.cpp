#include "cli/options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "engine/machine/machine_config.h"
#include "engine/machine/physical_memory.h"
#include "engine/vmm/core/cost_profile.h"

namespace vmlab::cli {

const CountOption kMemoryOption{"--memory",
                                machine::PhysicalMemory::kMinMib,
                                machine::PhysicalMemory::kMaxMib,
                                "a size in MiB",
                                "128",
                                ""};
const CountOption kMaxInstructionsOption{
    "--max-instructions", 1, UINT64_MAX, "a count", "500M", "; leave it out for no limit"};
const CountOption kCpuMhzOption{"--cpu-mhz",
                                machine::MachineConfig::kMinCpuMhz,
                                machine::MachineConfig::kMaxCpuMhz,
                                "the modeled clock in MHz",
                                "1000",
                                ""};
const CountOption kTraceLimitOption{"--trace-limit",      0,      UINT64_MAX,
                                    "a number of events", "100k", "; 0 means no limit"};
const CountOption kItersOption{"--iters", 1, 100'000'000, "a count", "1000", ""};
const CountOption kJobsOption{"--jobs", 1, 256, "a number of worker processes", "2", ""};
const CountOption kGdbPortOption{"--gdb", 0, 65535, "a TCP port", "1234", "; 0 picks a free one"};

std::optional<uint64_t> parse_count(const std::string& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE) return std::nullopt;
  uint64_t mult = 1;
  const std::string suffix(end);
  if (suffix == "k" || suffix == "K") {
    mult = 1000;
  } else if (suffix == "M") {
    mult = 1000 * 1000;
  } else if (suffix == "G") {
    mult = 1000 * 1000 * 1000;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  if (v > UINT64_MAX / mult) return std::nullopt;
  return v * mult;
}

std::optional<uint64_t> parse_count_option(const CountOption& option, const std::string& text,
                                           std::string& error) {
  const auto n = parse_count(text);
  if (n && *n >= option.min && *n <= option.max) return n;
  error = std::string(option.name) + " takes " + option.what + " from " +
          std::to_string(option.min) + " to " + std::to_string(option.max) + ", e.g. " +
          option.name + " " + option.example + option.note + " (got '" + text + "')";
  return std::nullopt;
}

std::optional<std::pair<std::string, uint64_t>> parse_cost(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  const auto n = parse_count(text.substr(eq + 1));
  if (!n || *n > vmm::CostProfile::kMaxCycles) return std::nullopt;
  return std::make_pair(text.substr(0, eq), *n);
}

std::optional<std::vector<machine::MultibootModule>> parse_initrd(const std::string& text) {
  std::vector<machine::MultibootModule> modules;
  std::string entry;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
      entry.push_back(',');
      ++i;
    } else if (i < text.size() && text[i] != ',') {
      entry.push_back(text[i]);
    } else {
      const std::string path = entry.substr(0, entry.find(' '));
      if (path.empty()) return std::nullopt;
      modules.push_back({path, entry});
      entry.clear();
    }
  }
  return modules;
}

std::optional<machine::DiskSpec> parse_disk(const std::string& text, unsigned next_index,
                                            std::string& error) {
  machine::DiskSpec d;
  d.index = next_index;
  size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (first && part.rfind("file=", 0) != 0 && part.find('=') == std::string::npos) {
      d.path = part;
    } else if (part.rfind("file=", 0) == 0) {
      d.path = part.substr(5);
    } else if (part.rfind("index=", 0) == 0) {
      const auto n = parse_count(part.substr(6));
      if (!n || *n > 1) {
        error = "--disk index= takes 0 (primary master) or 1 (primary slave) (got '" +
                part.substr(6) + "')";
        return std::nullopt;
      }
      d.index = static_cast<unsigned>(*n);
    } else if (part == "readonly" || part == "readonly=on") {
      d.readonly = true;
    } else if (part == "readonly=off") {
      d.readonly = false;
    } else {
      error =
          "--disk takes FILE[,index=N][,readonly] (unknown part '" + part + "' in '" + text + "')";
      return std::nullopt;
    }
    first = false;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (d.path.empty()) {
    error = "--disk needs an image file: --disk FILE[,index=N][,readonly]";
    return std::nullopt;
  }
  return d;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string take_cost(const std::string& v, CostOverrides& costs) {
  auto c = parse_cost(v);
  if (!c) {
    return "--cost takes KEY=CYCLES with at most " + std::to_string(vmm::CostProfile::kMaxCycles) +
           " cycles, e.g. --cost trap=1931 or --cost insn.port_io=3209 (got '" + v + "')";
  }
  costs.push_back(*c);
  return "";
}

}  // namespace vmlab::cli
