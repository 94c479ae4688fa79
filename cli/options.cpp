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

std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error) {
  RunOptions o;
  auto value_of = [&](size_t& i, const std::string& name) -> std::optional<std::string> {
    // Accept both "--name value" and "--name=value".
    const std::string& a = args[i];
    const auto eq = a.find('=');
    if (eq != std::string::npos) return a.substr(eq + 1);
    if (i + 1 >= args.size()) {
      error = "option " + name + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string name = a.substr(0, a.find('='));
    if (name == "--mode" || name == "-m") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      o.mode = *v;
    } else if (name == "--append") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      o.append = *v;
    } else if (name == "--memory") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      auto n = parse_count(*v);
      if (!n || *n == 0 || *n > 4096) {
        error = "--memory takes a size in MiB, e.g. --memory 128 (got '" + *v + "')";
        return std::nullopt;
      }
      o.memory_mib = static_cast<uint32_t>(*n);
    } else if (name == "--max-instructions") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      auto n = parse_count(*v);
      if (!n) {
        error = "--max-instructions takes a count, e.g. 500M (got '" + *v + "')";
        return std::nullopt;
      }
      o.max_instructions = *n;
    } else if (name == "--cpu-mhz") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      auto n = parse_count(*v);
      if (!n || *n == 0 || *n > 100000) {
        error = "--cpu-mhz takes the modeled clock in MHz, e.g. 1000 (got '" + *v + "')";
        return std::nullopt;
      }
      o.cpu_mhz = static_cast<uint32_t>(*n);
    } else if (name == "--console") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      o.console_file = *v;
    } else if (name == "--input") {
      auto v = value_of(i, name);
      if (!v) return std::nullopt;
      o.input_file = *v;
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
  return o;
}

}  // namespace vmlab::cli
