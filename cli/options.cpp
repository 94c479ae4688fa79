#include "cli/options.h"

#include <cerrno>
#include <cstdlib>

namespace vmlab::cli {

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

std::optional<std::pair<std::string, uint64_t>> parse_cost(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  const auto n = parse_count(text.substr(eq + 1));
  if (!n) return std::nullopt;
  return std::make_pair(text.substr(0, eq), *n);
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

namespace {

// Accepts both "--name value" and "--name=value".
std::optional<std::string> value_of(const std::vector<std::string>& args, size_t& i,
                                    const std::string& name, std::string& error) {
  const std::string& a = args[i];
  const auto eq = a.find('=');
  if (eq != std::string::npos) return a.substr(eq + 1);
  if (i + 1 >= args.size()) {
    error = "option " + name + " needs a value";
    return std::nullopt;
  }
  return args[++i];
}

// --cost KEY=CYCLES, shared by run and compare.
bool take_cost(const std::string& v, CostOverrides& costs, std::string& error) {
  auto c = parse_cost(v);
  if (!c) {
    error = "--cost takes KEY=CYCLES, e.g. --cost trap=1931 or --cost insn.port_io=3209 (got '" +
            v + "')";
    return false;
  }
  costs.push_back(*c);
  return true;
}

std::optional<uint32_t> parse_mhz(const std::string& v, std::string& error) {
  auto n = parse_count(v);
  if (!n || *n == 0 || *n > 100000) {
    error = "--cpu-mhz takes the modeled clock in MHz, e.g. 1000 (got '" + v + "')";
    return std::nullopt;
  }
  return static_cast<uint32_t>(*n);
}

std::optional<uint32_t> parse_memory(const std::string& v, std::string& error) {
  auto n = parse_count(v);
  if (!n || *n == 0 || *n > 4096) {
    error = "--memory takes a size in MiB, e.g. --memory 128 (got '" + v + "')";
    return std::nullopt;
  }
  return static_cast<uint32_t>(*n);
}

}  // namespace

std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error) {
  RunOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string name = a.substr(0, a.find('='));
    if (name == "--mode" || name == "-m") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.mode = *v;
    } else if (name == "--cpu") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      if (*v == "classic") {
        o.mode_options.cpu = vmm::ModeOptions::Cpu::kClassic;
      } else if (*v == "vt") {
        o.mode_options.cpu = vmm::ModeOptions::Cpu::kVt;
      } else {
        error = "--cpu takes classic or vt (got '" + *v + "')";
        return std::nullopt;
      }
    } else if (a == "--npt") {
      o.mode_options.nested_paging = true;
    } else if (name == "--append") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.append = *v;
    } else if (name == "--memory") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      auto n = parse_memory(*v, error);
      if (!n) return std::nullopt;
      o.memory_mib = *n;
    } else if (name == "--max-instructions") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      auto n = parse_count(*v);
      if (!n) {
        error = "--max-instructions takes a count, e.g. 500M (got '" + *v + "')";
        return std::nullopt;
      }
      o.max_instructions = *n;
    } else if (name == "--cpu-mhz") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      auto n = parse_mhz(*v, error);
      if (!n) return std::nullopt;
      o.cpu_mhz = *n;
    } else if (name == "--console") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.console_file = *v;
    } else if (name == "--input") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.input_file = *v;
    } else if (name == "--out") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.out_dir = *v;
    } else if (a == "--trace") {
      o.trace = true;
    } else if (name == "--trace-limit") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      auto n = parse_count(*v);
      if (!n) {
        error = "--trace-limit takes a number of events, e.g. 100k (got '" + *v + "')";
        return std::nullopt;
      }
      o.trace_limit = *n;
    } else if (name == "--profile") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      o.profile = *v;
    } else if (name == "--cost") {
      auto v = value_of(args, i, name, error);
      if (!v || !take_cost(*v, o.costs, error)) return std::nullopt;
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      error = "unknown option '" + a + "' (see vmlab run --help)";
      return std::nullopt;
    } else if (o.kernel.empty()) {
      o.kernel = a;
    } else {
      error = "more than one kernel image given ('" + o.kernel + "' and '" + a + "')";
      return std::nullopt;
    }
  }
  if (o.kernel.empty()) {
    error = "no kernel image given (usage: vmlab run [options] KERNEL.elf)";
    return std::nullopt;
  }
  if (o.trace && o.out_dir.empty()) {
    error = "--trace writes its files into the --out directory: add --out DIR";
    return std::nullopt;
  }
  return o;
}

std::optional<CompareOptions> parse_compare_options(const std::vector<std::string>& args,
                                                    std::string& error) {
  CompareOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string name = a.substr(0, a.find('='));
    if (a == "--quiet" || a == "-q") {
      o.quiet = true;
      continue;
    }
    if (name.empty() || name[0] != '-') {
      error = "unexpected argument '" + a + "' (see vmlab compare --help)";
      return std::nullopt;
    }
    const bool known = name == "--modes" || name == "--workloads" || name == "--profile" ||
                       name == "--cost" || name == "--format" || name == "--kernel" ||
                       name == "--iters" || name == "--memory" || name == "--cpu-mhz";
    if (!known) {
      error = "unknown option '" + a + "' (see vmlab compare --help)";
      return std::nullopt;
    }
    auto v = value_of(args, i, name, error);
    if (!v) return std::nullopt;
    if (name == "--modes") {
      o.modes = split_list(*v);
      o.all_modes = o.modes.size() == 1 && o.modes[0] == "all";
      if (o.modes.empty()) {
        error = "--modes takes a list such as native,trap or all";
        return std::nullopt;
      }
    } else if (name == "--workloads") {
      o.workloads = split_list(*v);
      if (o.workloads.size() == 1 && o.workloads[0] == "all") o.workloads.clear();
    } else if (name == "--profile") {
      o.profile = *v;
    } else if (name == "--cost") {
      if (!take_cost(*v, o.costs, error)) return std::nullopt;
    } else if (name == "--format") {
      if (*v != "table" && *v != "csv" && *v != "json") {
        error = "--format takes table, csv or json (got '" + *v + "')";
        return std::nullopt;
      }
      o.format = *v;
    } else if (name == "--kernel") {
      o.kernel = *v;
    } else if (name == "--iters") {
      auto n = parse_count(*v);
      if (!n || *n == 0 || *n > 100'000'000) {
        error = "--iters takes a positive count, e.g. 1000 (got '" + *v + "')";
        return std::nullopt;
      }
      o.iters = *n;
    } else if (name == "--memory") {
      auto n = parse_memory(*v, error);
      if (!n) return std::nullopt;
      o.memory_mib = *n;
    } else if (name == "--cpu-mhz") {
      auto n = parse_mhz(*v, error);
      if (!n) return std::nullopt;
      o.cpu_mhz = *n;
    }
  }
  return o;
}

}  // namespace vmlab::cli
