// The live-migration options of `vmlab run` (docs/migration.md): parsed by
// parse_run_options through take_migrate_option, used by cli/migrate_session.h.
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
  bool any_given = false;           // some --migrate-* option was given

  bool any() const { return port != 0; }
};

// If args[i] is a migration option, consumes it (and its value, advancing i) into `o` and
// returns true; `error` is set (and false returned) on a bad value. `handled` tells whether
// args[i] was one of them.
bool take_migrate_option(const std::vector<std::string>& args, size_t& i, MigrateOptions& o,
                         bool& handled, std::string& error);
// After parsing: the options given together make sense (--migrate-to with the others).
bool check_migrate_options(const MigrateOptions& o, std::string& error);

// `vmlab run`'s arguments without those that belong to one process rather than to the
// machine: the migration options, --out, --console, --input and the trace options. The
// destination rebuilds the machine from what is left (cli/cmd_migrate.cpp).
std::vector<std::string> machine_arguments(const std::vector<std::string>& args);

}  // namespace vmlab::cli
