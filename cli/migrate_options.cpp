#include "cli/migrate_options.h"

#include <optional>

#include "cli/command_line.h"
#include "cli/options.h"

namespace vmlab::cli {
namespace {

const CountOption kMigrateAtOption{"--migrate-at",          0,    UINT64_MAX,
                                   "a modeled cycle count", "2M", ""};
const CountOption kMaxRoundsOption{"--migrate-max-rounds", 1, 1000, "a round count", "30", ""};
const CountOption kThresholdOption{"--migrate-threshold", 0, 1u << 20, "a page count", "64", ""};
const CountOption kBandwidthOption{
    "--migrate-bandwidth", 1, 1u << 24, "pages per million modeled cycles", "256", ""};

}  // namespace

void declare_migrate_options(CommandLine& cl, MigrateOptions& o) {
  cl.each("--migrate-to", "HOST:PORT", "migrate the running machine to `vmlab migrate-listen PORT`",
          [&o](const std::string& v) {
            o.any_given = true;
            const auto colon = v.rfind(':');
            const auto port =
                colon == std::string::npos ? std::nullopt : parse_count(v.substr(colon + 1));
            if (colon == std::string::npos || colon == 0 || !port || *port == 0 || *port > 65535) {
              return "--migrate-to takes HOST:PORT (e.g. 127.0.0.1:4444), not '" + v + "'";
            }
            o.host = v.substr(0, colon);
            o.port = static_cast<uint16_t>(*port);
            return std::string();
          });
  cl.count("--migrate-at", kMigrateAtOption, "CYCLES",
           "start once CYCLES modeled cycles passed (default 0)", [&o](uint64_t n) {
             o.any_given = true;
             o.at_cycles = n;
           });
  cl.each("--migrate-precopy", "on|off",
          "pre-copy rounds while the guest runs (default on), or\nstop-and-copy only",
          [&o](const std::string& v) {
            o.any_given = true;
            if (v != "on" && v != "off")
              return "--migrate-precopy takes on or off, not '" + v + "'";
            o.precopy = v == "on";
            return std::string();
          });
  cl.count("--migrate-max-rounds", kMaxRoundsOption, "N", "at most N pre-copy rounds (default 30)",
           [&o](uint64_t n) {
             o.any_given = true;
             o.max_rounds = static_cast<uint32_t>(n);
           });
  cl.count("--migrate-threshold", kThresholdOption, "PAGES",
           "stop-and-copy once a round dirtied at most PAGES (default 64)", [&o](uint64_t n) {
             o.any_given = true;
             o.threshold_pages = n;
           });
  cl.count("--migrate-bandwidth", kBandwidthOption, "PAGES",
           "the modeled link: PAGES 4 KiB pages per million modeled\ncycles (default 256)",
           [&o](uint64_t n) {
             o.any_given = true;
             o.pages_per_mcycle = n;
           });
  cl.each("--migrate-tracking", "engine|mode",
          "how pre-copy finds dirty pages: the engine's dirty log\n(default), or the mode's own "
          "write tracking (trap, bt:\nshadow or nested write protection; pv: the dirty bits of\n"
          "its validated page tables)",
          [&o](const std::string& v) {
            o.any_given = true;
            if (v != "engine" && v != "mode")
              return "--migrate-tracking takes engine or mode, not '" + v + "'";
            o.mode_tracking = v == "mode";
            return std::string();
          });
}

bool check_migrate_options(const MigrateOptions& o, std::string& error) {
  if (o.any_given && !o.any()) {
    error = "the --migrate-* options need --migrate-to HOST:PORT (docs/migration.md)";
    return false;
  }
  return true;
}

std::vector<std::string> machine_arguments(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string name = a.substr(0, a.find('='));
    const bool has_value = a.find('=') != std::string::npos;
    if (name == "--trace" || name == "--trace-gzip") continue;
    if (name.starts_with("--migrate-") || name == "--out" || name == "--console" ||
        name == "--input" || name == "--trace-limit" || name == "--trace-events") {
      if (!has_value) ++i;  // and its value
      continue;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace vmlab::cli
