#include "cli/options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "engine/machine/machine_config.h"
#include "engine/machine/physical_memory.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/event.h"

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
    error = "--cost takes KEY=CYCLES with at most " + std::to_string(vmm::CostProfile::kMaxCycles) +
            " cycles, e.g. --cost trap=1931 or --cost insn.port_io=3209 (got '" + v + "')";
    return false;
  }
  costs.push_back(*c);
  return true;
}

// --trace-events KIND,...: every name must be an event kind (docs/trace-format.md).
bool take_trace_events(const std::string& v, std::vector<std::string>& kinds, std::string& error) {
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    const std::string k =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!vmm::event_kind_from_name(k)) {
      std::string valid;
      for (const auto kind : vmm::all_event_kinds()) {
        valid += (valid.empty() ? "" : ",");
        valid += vmm::event_kind_name(kind);
      }
      error = "--trace-events: unknown event kind '" + k + "' (valid: " + valid + ")";
      return false;
    }
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

// A file or directory option: the value may not be empty (it would name the current
// directory or nothing at all).
std::optional<std::string> path_of(const std::vector<std::string>& args, size_t& i,
                                   const std::string& name, const char* what, std::string& error) {
  auto v = value_of(args, i, name, error);
  if (v && v->empty()) {
    error = name + " takes " + what + ", not an empty string";
    return std::nullopt;
  }
  return v;
}

// A numeric option of any subcommand, through its CountOption.
std::optional<uint64_t> count_of(const std::vector<std::string>& args, size_t& i,
                                 const CountOption& option, std::string& error) {
  auto v = value_of(args, i, option.name, error);
  if (!v) return std::nullopt;
  return parse_count_option(option, *v, error);
}

}  // namespace

std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error) {
  RunOptions o;
  bool end_of_options = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string name = a.substr(0, a.find('='));
    if (a == "--" && !end_of_options) {
      // As in every Unix tool: what follows is the kernel, even if it starts with '-'.
      end_of_options = true;
      continue;
    }
    if (end_of_options) {
      if (!o.kernel.empty()) {
        error = "more than one kernel image given ('" + o.kernel + "' and '" + a + "')";
        return std::nullopt;
      }
      o.kernel = a;
      continue;
    }
    if (name == "--mode" || name == "-m") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      if (!v->empty() && v->find_first_not_of("0123456789") == std::string::npos) {
        // QEMU's -m is the memory size; vmlab's is the mode.
        error = "-m is the mode in vmlab (native, trap, bt, pv); for " + *v +
                " MiB of guest memory, as qemu's -m, use --memory " + *v;
        return std::nullopt;
      }
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
    } else if (name == "--display") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      if (*v != "text" && *v != "none") {
        error = "--display takes text or none (got '" + *v + "')";
        return std::nullopt;
      }
      o.display_text = *v == "text";
    } else if (name == "--initrd") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      auto modules = parse_initrd(*v);
      if (!modules) {
        error = "--initrd takes FILE[ ARGS][,FILE[ ARGS]...], as qemu -initrd (got '" + *v + "')";
        return std::nullopt;
      }
      o.modules.insert(o.modules.end(), modules->begin(), modules->end());
    } else if (name == "--disk") {
      auto v = value_of(args, i, name, error);
      if (!v) return std::nullopt;
      unsigned next = 0;
      while (std::any_of(o.disks.begin(), o.disks.end(),
                         [&](const machine::DiskSpec& d) { return d.index == next; })) {
        ++next;
      }
      auto disk = parse_disk(*v, next, error);
      if (!disk) return std::nullopt;
      for (const auto& d : o.disks) {
        if (d.index == disk->index) {
          error = "two --disk options for index " + std::to_string(d.index);
          return std::nullopt;
        }
      }
      o.disks.push_back(*disk);
    } else if (name == "--memory") {
      auto n = count_of(args, i, kMemoryOption, error);
      if (!n) return std::nullopt;
      o.memory_mib = static_cast<uint32_t>(*n);
    } else if (name == "--max-instructions") {
      auto n = count_of(args, i, kMaxInstructionsOption, error);
      if (!n) return std::nullopt;
      o.max_instructions = *n;
    } else if (name == "--cpu-mhz") {
      auto n = count_of(args, i, kCpuMhzOption, error);
      if (!n) return std::nullopt;
      o.cpu_mhz = static_cast<uint32_t>(*n);
    } else if (name == "--console") {
      auto v = path_of(args, i, name, "a file", error);
      if (!v) return std::nullopt;
      o.console_file = *v;
    } else if (name == "--input") {
      auto v = path_of(args, i, name, "a file", error);
      if (!v) return std::nullopt;
      o.input_file = *v;
    } else if (name == "--out") {
      auto v = path_of(args, i, name, "a directory", error);
      if (!v) return std::nullopt;
      o.out_dir = *v;
    } else if (a == "--trace") {
      o.trace = true;
    } else if (name == "--trace-limit") {
      auto n = count_of(args, i, kTraceLimitOption, error);
      if (!n) return std::nullopt;
      o.trace_limit = *n;
    } else if (name == "--trace-events") {
      // As QEMU's --trace: a comma-separated list of event kinds; implies --trace.
      auto v = value_of(args, i, name, error);
      if (!v || !take_trace_events(*v, o.trace_events, error)) return std::nullopt;
      o.trace = true;
    } else if (a == "--trace-gzip") {
      o.trace = true;
      o.trace_gzip = true;
    } else if (name == "--profile") {
      auto v = path_of(args, i, name, "a profile name or file", error);
      if (!v) return std::nullopt;
      o.profile = *v;
    } else if (name == "--cost") {
      auto v = value_of(args, i, name, error);
      if (!v || !take_cost(*v, o.costs, error)) return std::nullopt;
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else if (name == "--gdb") {
      auto n = count_of(args, i, kGdbPortOption, error);
      if (!n) return std::nullopt;
      o.gdb_port = static_cast<uint16_t>(*n);
    } else if (a == "-s") {
      o.gdb_port = 1234;  // QEMU's shorthand
    } else if (a == "--gdb-wait" || a == "-S") {
      o.gdb_wait = true;
    } else if (bool handled = false;
               !take_snapshot_option(args, i, o.snapshots, handled, error) || handled) {
      if (!error.empty()) return std::nullopt;  // a snapshot option (cli/snapshot_options.h)
    } else if (bool handled = false;
               !take_migrate_option(args, i, o.migrate, handled, error) || handled) {
      if (!error.empty()) return std::nullopt;  // cli/migrate_options.h
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
  if (o.gdb_wait && !o.gdb_port) {
    error = "--gdb-wait (-S) waits for gdb on the --gdb port: add --gdb PORT or -s";
    return std::nullopt;
  }
  if (o.snapshots.reexecute && o.snapshots.restore.empty()) {
    error = "--restore-reexecute says how to restore: add --restore FILE";
    return std::nullopt;
  }
  if (o.gdb_port && o.snapshots.any()) {
    error = "--gdb and the snapshot options cannot be combined yet (docs/snapshots.md)";
    return std::nullopt;
  }
  if (!check_migrate_options(o.migrate, error)) return std::nullopt;
  if (o.migrate.any() && (o.gdb_port || o.snapshots.any())) {
    error = "--migrate-to cannot be combined with --gdb or the snapshot options yet";
    return std::nullopt;
  }
  return o;
}

std::optional<CompareOptions> parse_compare_options(const std::vector<std::string>& args,
                                                    std::string& error) {
  CompareOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name = a.substr(0, a.find('='));
    if (name == "-j") name = "--jobs";
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
                       name == "--iters" || name == "--memory" || name == "--cpu-mhz" ||
                       name == "--jobs";
    if (!known) {
      error = "unknown option '" + a + "' (see vmlab compare --help)";
      return std::nullopt;
    }
    auto v = value_of(args, i, name, error);
    if (!v) return std::nullopt;
    if (v->empty() && (name == "--profile" || name == "--kernel")) {
      error = name + " takes a file or name, not an empty string";
      return std::nullopt;
    }
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
      auto n = parse_count_option(kItersOption, *v, error);
      if (!n) return std::nullopt;
      o.iters = *n;
    } else if (name == "--jobs") {
      auto n = parse_count_option(kJobsOption, *v, error);
      if (!n) return std::nullopt;
      o.jobs = static_cast<unsigned>(*n);
    } else if (name == "--memory") {
      auto n = parse_count_option(kMemoryOption, *v, error);
      if (!n) return std::nullopt;
      o.memory_mib = static_cast<uint32_t>(*n);
    } else if (name == "--cpu-mhz") {
      auto n = parse_count_option(kCpuMhzOption, *v, error);
      if (!n) return std::nullopt;
      o.cpu_mhz = static_cast<uint32_t>(*n);
    }
  }
  return o;
}

std::optional<ReproduceOptions> parse_reproduce_options(const std::vector<std::string>& args,
                                                        std::string& error) {
  ReproduceOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name = a.substr(0, a.find('='));
    if (name == "-j") name = "--jobs";
    if (a == "--quiet" || a == "-q") {
      o.quiet = true;
      continue;
    }
    if (a == "--list") {
      o.list = true;
      continue;
    }
    if (a.empty()) {
      error = "a paper's name cannot be empty (see vmlab reproduce --list)";
      return std::nullopt;
    }
    if (a[0] != '-') {
      o.papers.push_back(a);
      continue;
    }
    if (name != "--out" && name != "--kernel" && name != "--jobs") {
      error = "unknown option '" + a + "' (see vmlab reproduce --help)";
      return std::nullopt;
    }
    if (name == "--jobs") {
      auto n = count_of(args, i, kJobsOption, error);
      if (!n) return std::nullopt;
      o.jobs = static_cast<unsigned>(*n);
      continue;
    }
    auto v = path_of(args, i, name, name == "--out" ? "a folder" : "a file", error);
    if (!v) return std::nullopt;
    (name == "--out" ? o.out_dir : o.kernel) = *v;
  }
  if (!o.list && o.papers.empty()) {
    error = "name a paper, or all (vmlab reproduce --list names them)";
    return std::nullopt;
  }
  return o;
}

}  // namespace vmlab::cli
