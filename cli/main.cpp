// vmlab: boot a Multiboot kernel on the simulated PC, watch it and measure it.
//
//   vmlab run [options] KERNEL.elf     boot a kernel (cmd_run.cpp, docs/cli.md)
//   vmlab compare [options]            workloads x modes (cmd_compare.cpp)
//   vmlab bt-dump [options] KERNEL.elf  a block and its binary translation (cmd_bt_dump.cpp)
//   vmlab lab COMMAND [NN]             the course labs (cmd_lab.cpp, docs/labs.md)
//   vmlab reproduce [options] PAPER    a paper's comparisons, paper beside ours (cmd_reproduce.cpp)
//   vmlab sweep [options] GRID.json    a grid of cells, one run folder each (cmd_sweep.cpp)
//   vmlab mkfs IMAGE --size N / fsck IMAGE  the guest file system on a disk (cmd_mkfs.cpp)
//   vmlab help | --help                this text
//   vmlab --version
#include <iostream>
#include <string>
#include <vector>

#include "cli/cmd_bt_dump.h"
#include "cli/cmd_compare.h"
#include "cli/cmd_lab.h"
#include "cli/cmd_migrate.h"
#include "cli/cmd_mkfs.h"
#include "cli/cmd_reproduce.h"
#include "cli/cmd_run.h"
#include "cli/cmd_snapshot.h"
#include "cli/cmd_sweep.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/version.h"

namespace {

constexpr const char* kUsageText = R"(usage: vmlab <command> [options]

commands:
  run [options] KERNEL.elf   boot a Multiboot kernel on the simulated PC
  compare [options]          run the guest's workloads in each mode and compare them
  bt-dump [options] KERNEL   a guest kernel block and its binary translation, side by side
  lab COMMAND [NN]           the course labs: list, start, check (vmlab lab --help)
  reproduce [options] PAPER  a published comparison re-run, the paper's values beside ours
  sweep [options] GRID.json  a grid of modes x workloads x profiles x costs, one folder a cell
  mkfs IMAGE --size SIZE     a raw disk image with an empty guest file system (docs/disk.md)
  fsck IMAGE [--list]        check the guest file system on a disk image
  snapshot info|flatten FILE a snapshot file's header and state (docs/snapshots.md)
  migrate-listen PORT        receive a live migration (run --migrate-to; docs/migration.md)
  help [COMMAND]             show this text, or a command's options (vmlab COMMAND --help)
  version                    print the version

Run 'vmlab help COMMAND' (or 'vmlab COMMAND --help') for a command's options.
)";

// Every subcommand, once: main dispatches through this table, and `vmlab help COMMAND` is
// `vmlab COMMAND --help`, as git and cargo have it.
struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>& args);
};
constexpr Command kCommands[] = {
    {"run", vmlab::cli::cmd_run},
    {"compare", vmlab::cli::cmd_compare},
    {"bt-dump", vmlab::cli::cmd_bt_dump},
    {"lab", vmlab::cli::cmd_lab},
    {"reproduce", vmlab::cli::cmd_reproduce},
    {"sweep", vmlab::cli::cmd_sweep},
    {"mkfs", vmlab::cli::cmd_mkfs},
    {"fsck", vmlab::cli::cmd_fsck},
    {"snapshot", vmlab::cli::cmd_snapshot},
    {"migrate-listen", vmlab::cli::cmd_migrate_listen},
};

const Command* find_command(const std::string& name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vmlab::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  try {
    if (const Command* c = find_command(cmd)) return c->run(args);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      if (!args.empty()) {
        if (const Command* c = find_command(args[0])) return c->run({"--help"});
        return fail(kUsage, "no command '" + args[0] + "' (see vmlab --help)");
      }
      std::cout << kUsageText;
      return 0;
    }
    if (cmd == "version" || cmd == "--version") {
      std::cout << "vmlab " << kVersion << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    return fail(kInternal, std::string("internal error: ") + e.what());
  }
  return fail(kUsage, "unknown command '" + cmd + "' (see vmlab --help)");
}
