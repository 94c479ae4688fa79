#include "cli/snapshot_options.h"

#include "cli/options.h"

namespace vmlab::cli {
namespace {

const CountOption kSnapshotCyclesOption{"--snapshot-at",         0,    UINT64_MAX,
                                        "a modeled cycle count", "5M", ""};
const CountOption kSnapshotInsnOption{"--snapshot-at-insn",   0,    UINT64_MAX,
                                      "an instruction count", "2M", ""};
const CountOption kSnapshotEveryOption{"--snapshot-every",      1,    UINT64_MAX,
                                       "a modeled cycle count", "1M", ""};

// NAME VALUE or NAME=VALUE.
std::optional<std::string> first_value(const std::vector<std::string>& args, size_t& i,
                                       const std::string& name, std::string& error) {
  const std::string& a = args[i];
  if (const auto eq = a.find('='); eq != std::string::npos) return a.substr(eq + 1);
  if (i + 1 >= args.size()) {
    error = "option " + name + " needs a value";
    return std::nullopt;
  }
  return args[++i];
}

std::optional<std::string> path_after(const std::vector<std::string>& args, size_t& i,
                                      const std::string& name, const char* what,
                                      std::string& error) {
  if (i + 1 >= args.size() || args[i + 1].empty()) {
    error = name + " needs " + what + " after its count";
    return std::nullopt;
  }
  return args[++i];
}

}  // namespace

bool take_snapshot_option(const std::vector<std::string>& args, size_t& i, SnapshotOptions& o,
                          bool& handled, std::string& error) {
  const std::string& a = args[i];
  const std::string name = a.substr(0, a.find('='));
  handled = true;
  if (name == "--snapshot-at" || name == "--snapshot-at-insn" || name == "--snapshot-every") {
    const CountOption& option = name == "--snapshot-at"        ? kSnapshotCyclesOption
                                : name == "--snapshot-at-insn" ? kSnapshotInsnOption
                                                               : kSnapshotEveryOption;
    auto v = first_value(args, i, name, error);
    if (!v) return false;
    auto n = parse_count_option(option, *v, error);
    if (!n) return false;
    const bool every = name == "--snapshot-every";
    auto path = path_after(args, i, name, every ? "a directory" : "a file", error);
    if (!path) return false;
    if (every) {
      if (o.every_cycles != 0) {
        error = "--snapshot-every may be given once";
        return false;
      }
      o.every_cycles = *n;
      o.every_dir = *path;
    } else {
      o.points.push_back({name == "--snapshot-at-insn", *n, *path});
    }
    return true;
  }
  if (a == "--restore-reexecute") {
    o.reexecute = true;
    return true;
  }
  if (name == "--snapshot-on-exit" || name == "--restore") {
    auto v = first_value(args, i, name, error);
    if (!v) return false;
    if (v->empty()) {
      error = name + " takes a file, not an empty string";
      return false;
    }
    (name == "--restore" ? o.restore : o.on_exit) = *v;
    return true;
  }
  handled = false;
  return true;
}

}  // namespace vmlab::cli
