#include "cli/cmd_bt_dump.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/options.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_dump.h"
#include "modes/registry.h"

namespace vmlab::cli {
namespace {

constexpr const char* kBtDumpDescription =
    R"(Boots KERNEL.elf under --mode bt (the guest's console is discarded), runs it until it stops
(or for --max-instructions), then prints, for each guest kernel address, the guest's block
and its translation side by side: Capstone disassembly of both, the TC addresses, and how
each guest instruction was translated (IDENT, remapped, in-TC, callout). An address the
guest never executed is translated now, through the guest's page tables as they are at the
end of the run.)";

// A 32-bit guest address in hexadecimal, with or without 0x: hex digits only (strtoul
// alone would take a sign or blanks and wrap).
std::optional<uint32_t> parse_address(const std::string& text) {
  const std::string digits = text.rfind("0x", 0) == 0 ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 8 ||
      digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(std::strtoul(digits.c_str(), nullptr, 16));
}

}  // namespace

int cmd_bt_dump(const std::vector<std::string>& args) {
  std::vector<uint32_t> addrs;
  std::string append;
  std::string kernel;
  uint64_t max_insns = 0;
  uint64_t memory = 128;
  std::vector<std::string> kernels;
  CommandLine cl("bt-dump", "vmlab bt-dump [options] --addr ADDR [--addr ADDR ...] KERNEL.elf",
                 kBtDumpDescription);
  cl.each("--addr", "ADDR", "guest-linear address (hex, e.g. c0104760); repeatable",
          [&addrs](const std::string& v) {
            const auto x = parse_address(v);
            if (!x)
              return std::string("--addr takes a hexadecimal guest address, e.g. --addr c0104760");
            addrs.push_back(*x);
            return std::string();
          });
  cl.text("--append", append, "CMDLINE", "the kernel command line (as vmlab run)");
  // The same parser and ranges as vmlab run (cli/options.h).
  cl.count("--max-instructions", kMaxInstructionsOption, "N",
           "stop the guest after N instructions (k, M, G suffixes; default:\nrun to the end)",
           [&max_insns](uint64_t n) { max_insns = n; });
  cl.count("--memory", kMemoryOption, "MIB", "guest RAM in MiB (default 128, 4..3072)",
           [&memory](uint64_t n) { memory = n; });
  cl.positionals(kernels);
  if (const auto status = cl.parse_or_status(args)) return *status;
  if (kernels.size() > 1) return fail(kUsage, "one kernel only (see vmlab bt-dump --help)");
  if (!kernels.empty()) kernel = kernels[0];
  if (kernel.empty()) return fail(kUsage, "no kernel given (see vmlab bt-dump --help)");
  if (addrs.empty()) return fail(kUsage, "no --addr given (see vmlab bt-dump --help)");

  vmm::VmConfig config;
  auto mode = modes::make(vmm::ModeId::bt);
  if (!mode) return fail(exit_code_for(mode.error()), mode.error().message);
  config.mode = std::move(mode.value());
  config.machine.memory_mib = static_cast<uint32_t>(memory);
  config.machine.max_instructions = max_insns;
  config.machine.cmdline = kernel + (append.empty() ? "" : " " + append);
  auto created = vmm::Vm::create(std::move(config));
  if (!created) return fail(exit_code_for(created.error()), created.error().message);
  vmm::Vm& vm = *created.value();
  if (auto loaded = vm.load_kernel(kernel); !loaded) {
    return fail(exit_code_for(loaded.error()), loaded.error().message);
  }
  vm.run();
  // Through the Vm's inspection interface (engine/vmm/core/inspection.h): no cast to the mode.
  for (const uint32_t addr : addrs) std::cout << modes::bt::bt_dump(vm, addr) << "\n";
  return 0;
}

}  // namespace vmlab::cli
