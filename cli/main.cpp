// vmlab: boot a Multiboot kernel on the simulated PC and watch it.
//
//   vmlab run [options] KERNEL.elf     boot a kernel (docs/cli.md)
//   vmlab help | --help                this text
//   vmlab --version
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/options.h"
#include "engine/machine/machine.h"

namespace vmlab::cli {
namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsageText = R"(usage: vmlab <command> [options]

commands:
  run [options] KERNEL.elf   boot a Multiboot kernel on the simulated PC
  help                       show this text (also: vmlab <command> --help)
  version                    print the version

Run 'vmlab run --help' for the options of run.
)";

constexpr const char* kRunUsage = R"(usage: vmlab run [options] KERNEL.elf

Boots a Multiboot-1 ELF32 kernel (one that boots with qemu-system-i386 -kernel) on the
simulated PC. The guest's serial console (COM1) and the 0xE9 debug port go to stdout;
vmlab's own messages go to stderr.

options:
  --mode MODE              virtualization mode: native (the only one implemented yet)
  --append CMDLINE         the kernel command line; the kernel sees "KERNEL.elf CMDLINE",
                           as under QEMU and GRUB
  --memory MIB             guest RAM in MiB (default 128, 4..3072)
  --max-instructions N     stop after N instructions (k, M, G suffixes: 500M); default none
  --cpu-mhz MHZ            modeled clock for the timers (default 1000)
  --console FILE           write the guest console to FILE instead of stdout
  --input FILE             feed FILE to the guest's serial input (deterministic)
  -q, --quiet              no summary line on stderr

exit status:
  0-63   the guest wrote this value to the exit port 0xF4 (larger values show as 63)
  64     bad command line            65  not a loadable Multiboot kernel
  66     a file could not be opened  70  internal error
  71     the guest triple-faulted    72  --max-instructions exhausted
  73     the guest halted with nothing to wake it
  74     the guest used something vmlab does not model
  75     the guest requested a reset 76  mode not implemented yet
)";

int fail(int code, const std::string& message) {
  std::cerr << "vmlab: " << message << "\n";
  return code;
}

int exit_code_for(const machine::Error& e) {
  switch (e.code) {
    case ENOENT:
    case EACCES:
    case EISDIR: return kNoInput;
    case ENOEXEC: return kBadImage;
    case EINVAL: return kUsage;
    default: return kBadImage;
  }
}

int exit_code_for(const machine::RunResult& r) {
  using machine::StopReason;
  switch (r.reason) {
    case StopReason::kExitPort: {
      const uint32_t v = r.exit_value.value_or(0);
      return v > kGuestStatusMax ? kGuestStatusMax : static_cast<int>(v);
    }
    case StopReason::kBudgetExhausted: return kBudgetExhausted;
    case StopReason::kHaltedInterruptsDisabled:
    case StopReason::kHaltedNothingToWake: return kGuestHung;
    case StopReason::kTripleFault: return kTripleFault;
    case StopReason::kUnsupported: return kUnsupported;
    case StopReason::kResetRequested: return kGuestReset;
    case StopReason::kStopRequested: return kInternal;
  }
  return kInternal;
}

int cmd_run(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kRunUsage;
      return 0;
    }
  }
  std::string error;
  const auto opts = parse_run_options(args, error);
  if (!opts) return fail(kUsage, error);
  if (opts->mode != "native") {
    if (opts->mode == "trap" || opts->mode == "bt" || opts->mode == "pv") {
      return fail(kNotImplemented,
                  "mode '" + opts->mode + "' is not implemented yet; use --mode native");
    }
    return fail(kUsage, "unknown mode '" + opts->mode + "' (modes: native, trap, bt, pv)");
  }

  machine::MachineConfig config;
  config.memory_mib = opts->memory_mib;
  config.cpu_mhz = opts->cpu_mhz;
  config.max_instructions = opts->max_instructions;
  // The command line a Multiboot kernel sees starts with the image path, as under QEMU.
  config.cmdline = opts->kernel + (opts->append.empty() ? "" : " " + opts->append);
  if (opts->console_file.empty()) {
    config.console_sink = machine::ConsoleOutput::stdout_sink();
  } else {
    auto sink = machine::ConsoleOutput::file_sink(opts->console_file);
    if (!sink) return fail(kNoInput, sink.error().message);
    config.console_sink = sink.value();
  }
  if (!opts->input_file.empty()) {
    auto input = machine::ConsoleInput::from_file(opts->input_file);
    if (!input) return fail(kNoInput, input.error().message);
    config.input = std::move(input.value());
  }

  auto created = machine::Machine::create(std::move(config));
  if (!created) return fail(exit_code_for(created.error()), created.error().message);
  machine::Machine& m = *created.value();
  if (auto loaded = m.load_kernel(opts->kernel); !loaded) {
    return fail(exit_code_for(loaded.error()), loaded.error().message);
  }

  const machine::RunResult r = m.run();
  std::fflush(stdout);
  if (!opts->quiet || r.reason != machine::StopReason::kExitPort) {
    char figures[160];
    std::snprintf(figures, sizeof figures, "%llu instructions, %llu modeled cycles, %.3f s wall",
                  static_cast<unsigned long long>(r.instructions),
                  static_cast<unsigned long long>(r.cycles), r.wall_seconds);
    std::cerr << "vmlab: " << r.message << " (" << figures << ")\n";
  }
  return exit_code_for(r);
}

}  // namespace
}  // namespace vmlab::cli

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
