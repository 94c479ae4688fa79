#include "cli/cmd_run.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/interrupt_signal.h"
#include "cli/options.h"
#include "cli/resources.h"
#include "cli/version.h"
#include "engine//vmm/chrome_trace_writer.h"
#include "engine/vmm/jsonl_trace_writer.h"
#include "engine/vmm/run_report.h"
#include "engine/vmm/sha256.h"
#include "engine/vmm/vm.h"
#include "modes/registry.h"

namespace vmlab::cli {
namespace {

constexpr const char* kRunUsage = R"(usage: vmlab run [options] KERNEL.elf

Boots a Multiboot-1 ELF32 kernel (one that boots with qemu-system-i386 -kernel) on the
simulated PC. The guest's serial console (COM1) and the 0xE9 debug port go to stdout;
vmlab's own messages go to stderr.

options:
  --mode MODE              virtualization mode: native, trap (see --cpu, --npt), bt
                           (binary translation), pv
  --cpu classic|vt         with --mode trap: a classic IA-32 CPU or one with VT-x-like
                           guest mode (default vt)
  --npt                    with --mode trap --cpu vt: nested paging instead of shadow
  --append CMDLINE         the kernel command line; the kernel sees "KERNEL.elf CMDLINE",
                           as under QEMU and GRUB
  --memory MIB             guest RAM in MiB (default 128, 4..3072)
  --max-instructions N     stop after N instructions (k, M, G suffixes: 500M); default none
  --cpu-mhz MHZ            modeled clock for the timers (default 1000)
  --console FILE           write the guest console to FILE instead of stdout
  --input FILE             feed FILE to the guest's serial input (deterministic)
  -q, --quiet              no summary line on stderr

watching and measuring:
  --out DIR                write config.json and stats.json into DIR (created if missing)
  --trace                  also write the event trace: DIR/trace.jsonl and DIR/trace.json
                           (Chrome trace-event format; open it in ui.perfetto.dev)
  --trace-limit N          at most N events in the trace files (default 1M; 0 = no limit)
  --profile NAME           cost profile (profiles/NAME.profile, or a file path);
                           default native-1c (every instruction 1 cycle)
  --cost KEY=CYCLES        override one cost, e.g. --cost port_io=500,
                           --cost insn.divide=40 (repeatable; docs/cost-model.md)

exit status:
  0-63   the guest wrote this value to the exit port 0xF4 (larger values show as 63)
  64     bad command line            65  not a loadable Multiboot kernel (pv: no PV note)
  66     a file could not be opened  70  internal error
  71     the guest triple-faulted    72  --max-instructions exhausted
  73     the guest halted with nothing to wake it
  74     the guest used something vmlab does not model
  75     the guest requested a reset 76  mode not implemented yet
)";

// Creates the trace writers in `dir` and hands them to the recorder.
machine::Result<void> start_trace(vmm::Vm& vm, const RunOptions& o) {
  auto jsonl = vmm::JsonlTraceWriter::create(o.out_dir + "/trace.jsonl");
  if (!jsonl) return jsonl.error();
  auto chrome =
      vmm::ChromeTraceWriter::create(o.out_dir + "/trace.json", vm.machine().config().cpu_mhz);
  if (!chrome) return chrome.error();
  vm.recorder().add_writer(std::move(jsonl.value()));
  vm.recorder().add_writer(std::move(chrome.value()));
  vm.recorder().set_trace_limit(o.trace_limit);
  return {};
}

machine::Result<void> write_reports(vmm::Vm& vm, const machine::RunResult& r, const RunOptions& o,
                                    const std::vector<std::string>& args) {
  vmm::RunReport::Context c;
  c.vmlab_version = kVersion;
  c.kernel_path = o.kernel;
  auto sha = vmm::Sha256::hex_of_file(o.kernel);
  if (!sha) return sha.error();
  c.kernel_sha256 = sha.value();
  std::error_code ec;
  c.kernel_bytes = std::filesystem::file_size(o.kernel, ec);
  c.arguments.push_back("run");
  c.arguments.insert(c.arguments.end(), args.begin(), args.end());
  c.trace = o.trace;
  c.trace_limit = o.trace_limit;
  if (auto w = vmm::RunReport::write_file(o.out_dir + "/config.json",
                                          vmm::RunReport::config_json(vm, c));
      !w) {
    return w;
  }
  return vmm::RunReport::write_file(o.out_dir + "/stats.json", vmm::RunReport::stats_json(vm, r));
}

}  // namespace

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
  const auto mode = vmm::mode_from_name(opts->mode);
  if (!mode) {
    return fail(kUsage, "unknown mode '" + opts->mode + "' (modes: native, trap, bt, pv, kvm)");
  }
  if (!modes::implemented(*mode)) {
    return fail(kNotImplemented,
                "mode '" + opts->mode + "' is not implemented yet; use --mode native");
  }
  auto mode_impl = modes::make(*mode, opts->mode_options);
  if (!mode_impl) return fail(exit_code_for(mode_impl.error()), mode_impl.error().message);
  auto profile = load_profile(opts->profile, opts->costs);
  if (!profile) return fail(kUsage, profile.error().message);

  vmm::VmConfig config;
  config.mode = std::move(mode_impl.value());
  config.profile = std::move(profile.value());
  machine::MachineConfig& mc = config.machine;
  mc.memory_mib = opts->memory_mib;
  mc.cpu_mhz = opts->cpu_mhz;
  mc.max_instructions = opts->max_instructions;
  // The command line a Multiboot kernel sees starts with the image path, as under QEMU.
  mc.cmdline = opts->kernel + (opts->append.empty() ? "" : " " + opts->append);
  if (opts->console_file.empty()) {
    mc.console_sink = machine::ConsoleOutput::stdout_sink();
  } else {
    auto sink = machine::ConsoleOutput::file_sink(opts->console_file);
    if (!sink) return fail(kNoInput, sink.error().message);
    mc.console_sink = sink.value();
  }
  if (!opts->input_file.empty()) {
    auto input = machine::ConsoleInput::from_file(opts->input_file);
    if (!input) return fail(kNoInput, input.error().message);
    mc.input = std::move(input.value());
  }

  auto created = vmm::Vm::create(std::move(config));
  if (!created) return fail(exit_code_for(created.error()), created.error().message);
  vmm::Vm& vm = *created.value();
  if (auto loaded = vm.load_kernel(opts->kernel); !loaded) {
    return fail(exit_code_for(loaded.error()), loaded.error().message);
  }
  if (!opts->out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts->out_dir, ec);
    if (ec) return fail(kNoInput, "cannot create the --out directory " + opts->out_dir);
    if (opts->trace) {
      if (auto t = start_trace(vm, *opts); !t) return fail(kNoInput, t.error().message);
    }
  }

  // Ctrl-C (or SIGTERM) ends the run at the next slice, with its summary and files.
  InterruptStop interrupt_stop(vm.machine());
  machine::RunResult r = vm.run();
  if (const int sig = interrupt_stop.signal_received(); sig != 0) {
    r.message = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                " at EIP " + std::to_string(vm.machine().cpu().guest_eip());
  }
  std::fflush(stdout);
  if (!opts->out_dir.empty()) {
    if (auto f = vm.recorder().finish(); !f) return fail(kNoInput, f.error().message);
    if (auto w = write_reports(vm, r, *opts, args); !w) return fail(kNoInput, w.error().message);
  }
  if (!opts->quiet || r.reason != machine::StopReason::kExitPort) {
    char figures[160];
    std::snprintf(figures, sizeof figures, "%llu instructions, %llu modeled cycles, %.3f s wall",
                  static_cast<unsigned long long>(r.instructions),
                  static_cast<unsigned long long>(r.cycles), r.wall_seconds);
    std::cerr << "vmlab: " << r.message << " (" << figures << ")\n";
  }
  // The shell's convention for a process ended by a signal: 128 + its number.
  if (const int sig = interrupt_stop.signal_received(); sig != 0) return 128 + sig;
  return exit_code_for(r);
}

}  // namespace vmlab::cli
