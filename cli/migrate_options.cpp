#include "cli/migrate_options.h"

#include <optional>

#include "cli/options.h"

namespace vmlab::cli {
namespace {

const CountOption kMigrateAtOption{"--migrate-at",          0,    UINT64_MAX,
                                   "a modeled cycle count", "2M", ""};
const CountOption kMaxRoundsOption{"--migrate-max-rounds", 1, 1000, "a round count", "30", ""};
const CountOption kThresholdOption{"--migrate-threshold", 0, 1u << 20, "a page count", "64", ""};
const CountOption kBandwidthOption{
    "--migrate-bandwidth", 1, 1u << 24, "pages per million modeled cycles", "256", ""};

// NAME VALUE or NAME=VALUE.
std::optional<std::string> value_of(const std::vector<std::string>& args, size_t& i,
                                    const std::string& name, std::string& error) {
  const std::string& a = args[i];
  if (const auto eq = a.find('='); eq != std::string::npos) return a.substr(eq + 1);
  if (i + 1 >= args.size()) {
    error = "option " + name + " needs a value";
    return std::nullopt;
  }
  return args[++i];
}

}  // namespace

bool take_migrate_option(const std::vector<std::string>& args, size_t& i, MigrateOptions& o,
                         bool& handled, std::string& error) {
  const std::string& a = args[i];
  const std::string name = a.substr(0, a.find('='));
  handled = name.starts_with("--migrate-");
  if (!handled) return true;
  o.any_given = true;
  auto v = value_of(args, i, name, error);
  if (!v) return false;
  if (name == "--migrate-to") {
    const auto colon = v->rfind(':');
    const auto port = colon == std::string::npos ? std::nullopt : parse_count(v->substr(colon + 1));
    if (colon == std::string::npos || colon == 0 || !port || *port == 0 || *port > 65535) {
      error = "--migrate-to takes HOST:PORT (e.g. 127.0.0.1:4444), not '" + *v + "'";
      return false;
    }
    o.host = v->substr(0, colon);
    o.port = static_cast<uint16_t>(*port);
    return true;
  }
  if (name == "--migrate-precopy") {
    if (*v != "on" && *v != "off") {
      error = "--migrate-precopy takes on or off, not '" + *v + "'";
      return false;
    }
    o.precopy = *v == "on";
    return true;
  }
  const CountOption* option = name == "--migrate-at"           ? &kMigrateAtOption
                              : name == "--migrate-max-rounds" ? &kMaxRoundsOption
                              : name == "--migrate-threshold"  ? &kThresholdOption
                              : name == "--migrate-bandwidth"  ? &kBandwidthOption
                                                               : nullptr;
  if (option == nullptr) {
    error = "unknown option '" + name + "' (see vmlab run --help)";
    return false;
  }
  auto n = parse_count_option(*option, *v, error);
  if (!n) return false;
  if (option == &kMigrateAtOption) o.at_cycles = *n;
  if (option == &kMaxRoundsOption) o.max_rounds = static_cast<uint32_t>(*n);
  if (option == &kThresholdOption) o.threshold_pages = *n;
  if (option == &kBandwidthOption) o.pages_per_mcycle = *n;
  return true;
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
