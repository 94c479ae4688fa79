// The live-migration options of `vmlab run` (docs/migration.md): parsed by
// run's command line through declare_migrate_options, used by cli/migrate_session.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vmlab::cli {

struct MigrateOptions {
  std::string host;        // --migrate-to HOST:PORT
  uint16_t port = 0;       // (0: no migration)
  uint64_t at_cycles = 0;  // --migrate-at CYCLES
  bool precopy = true;     // --migrate-precopy on|off
  uint32_t max_rounds = 30;
  uint64_t threshold_pages = 64;
  uint64_t pages_per_mcycle = 256;  // --migrate-bandwidth PAGES
  bool mode_tracking = false;       // --migrate-tracking engine|mode
  bool any_given = false;           // some --migrate-* option was given

  bool any() const { return port != 0; }
};

class CommandLine;
// Declares --migrate-to, --migrate-at, --migrate-precopy, --migrate-max-rounds,
// --migrate-threshold, --migrate-bandwidth and --migrate-tracking on `cl`, filling `o`.
void declare_migrate_options(CommandLine& cl, MigrateOptions& o);
// After parsing: the options given together make sense (--migrate-to with the others).
bool check_migrate_options(const MigrateOptions& o, std::string& error);

// `vmlab run`'s arguments without those that belong to one process rather than to the
// machine: the migration options, --out, --console, --input and the trace options. The
// destination rebuilds the machine from what is left (cli/cmd_migrate.cpp).
std::vector<std::string> machine_arguments(const std::vector<std::string>& args);

}  // namespace vmlab::cli
