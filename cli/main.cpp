// vmlab: boot a Multiboot kernel on the simulated PC, watch it and measure it.
//
//   vmlab run [options] KERNEL.elf     boot a kernel (cmd_run.cpp, docs/cli.md)
//   vmlab compare [options]            workloads x modes (cmd_compare.cpp)
//   vmlab bt-dump [options] KERNEL.elf  a block and its binary translation (cmd_bt_dump.cpp)
//   vmlab help | --help                this text
//   vmlab --version
#include <iostream>
#include <string>
#include <vector>

#include "cli/cmd_bt_dump.h"
#include "cli/cmd_compare.h"
#include "cli/cmd_run.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/version.h"

namespace {

constexpr const char* kUsageText = R"(usage: vmlab <command> [options]

commands:
  run [options] KERNEL.elf   boot a Multiboot kernel on the simulated PC
  compare [options]          run the guest's workloads in each mode and compare them
  bt-dump [options] KERNEL   a guest kernel block and its binary translation, side by side
  help                       show this text (also: vmlab <command> --help)
  version                    print the version

Run 'vmlab run --help' or 'vmlab compare --help' for their options.
)";

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
    if (cmd == "run") return cmd_run(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "bt-dump") return cmd_bt_dump(args);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
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
