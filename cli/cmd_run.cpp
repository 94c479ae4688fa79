#include "cli/cmd_run.h"

#include <atomic>
#include <bitset>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/console_file.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/interrupt_signal.h"
#include "cli/migrate_session.h"
#include "cli/options.h"
#include "cli/snapshot_session.h"
#include "cli/terminal_console.h"
#include "cli/trace_names.h"
#include "cli/version.h"
#include "engine/debug/gdb_server.h"
#include "engine/machine/block_image.h"
#include "engine/machine/host_file.h"
#include "engine/machine/key_script.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/trace/chrome_trace_writer.h"
#include "engine/vmm/trace/jsonl_trace_writer.h"
#include "engine/vmm/trace/run_report.h"
#include "engine/vmm/trace/sha256.h"
#include "frontend/resources.h"
#include "frontend/scratch_disk.h"
#include "frontend/workloads.h"
#include "modes/binary-translation/bt_run_record.h"
#include "modes/registry.h"
#include "source_commit.h"  // generated: cmake/SourceCommit.cmake

namespace vmlab::cli {
namespace {

// The most --input may preload: far more than any scripted session types.
constexpr uint64_t kMaxInputBytes = 64 << 20;

// --display text: the CGA text screen as the guest left it, after its console on stdout.
// The text buffer is guest-physical 0xB8000, in the machine frame the P2M gives it.
void print_text_screen(vmm::Vm& vm) {
  const auto& cga = vm.machine().cga_text();
  const auto p2m = vmm::P2m::from_mib(vm.guest_mib(), vm.machine().config().monitor_reserve_mib);
  std::span<const uint8_t> buffer;
  if (const auto at = p2m.to_machine(machine::CgaText::kBufferAddr)) {
    buffer = vm.machine().memory().span().subspan(*at, machine::CgaText::kBufferBytes);
  }
  const uint16_t cursor = cga.cursor() - cga.start_address();
  char where[48];
  if (cga.cursor_off()) {
    std::snprintf(where, sizeof where, "cursor off");
  } else {
    std::snprintf(where, sizeof where, "cursor at row %u column %u",
                  cursor / machine::CgaText::kColumns, cursor % machine::CgaText::kColumns);
  }
  std::printf("--- vmlab: CGA text screen, 80x25, %s ---\n%s--- end of screen ---\n", where,
              machine::CgaText::render(buffer, cga.start_address()).c_str());
  std::fflush(stdout);
}

// Creates the trace writers in `dir` and hands them to the recorder.
machine::Result<void> start_trace(vmm::Vm& vm, const RunOptions& o) {
  const std::string gz = o.trace_gzip ? ".gz" : "";
  auto jsonl = vmm::JsonlTraceWriter::create(o.out_dir + "/trace.jsonl" + gz);
  if (!jsonl) return jsonl.error();
  auto chrome = vmm::ChromeTraceWriter::create(o.out_dir + "/trace.json" + gz,
                                               vm.machine().config().cpu_mhz, trace_namer(o));
  if (!chrome) return chrome.error();
  vm.recorder().add_writer(std::move(jsonl.value()));
  vm.recorder().add_writer(std::move(chrome.value()));
  vm.recorder().set_trace_limit(o.trace_limit);
  if (!o.trace_events.empty()) {
    std::bitset<vmm::kNumEventKinds> kinds;
    for (const auto& k : o.trace_events) kinds.set(vmm::index_of(*vmm::event_kind_from_name(k)));
    vm.recorder().set_trace_filter(kinds);
  }
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
  c.source_commit = VMLAB_SOURCE_COMMIT;
  c.arguments.push_back("run");
  c.arguments.insert(c.arguments.end(), args.begin(), args.end());
  c.variant = modes::variant_name(vm.mode(), o.mode_options);
  c.trace = o.trace;
  c.trace_limit = o.trace_limit;
  // The files besides the kernel that decide the run, each hashed as config.json says.
  const auto add_file = [&c](const std::string& role,
                             const std::string& path) -> machine::Result<void> {
    auto hash = vmm::Sha256::hex_of_file(path);
    if (!hash) return hash.error();
    std::error_code size_ec;
    c.files.push_back({role, path, hash.value(), std::filesystem::file_size(path, size_ec)});
    return {};
  };
  if (!o.input_file.empty()) {
    if (auto f = add_file("input", o.input_file); !f) return f;
  }
  if (o.keys.starts_with("@")) {
    if (auto f = add_file("keys", o.keys.substr(1)); !f) return f;
  }
  for (const machine::MultibootModule& m : o.modules) {
    if (auto f = add_file("initrd", m.path); !f) return f;
  }
  for (const machine::DiskSpec& d : o.disks) {
    std::error_code size_ec;
    c.files.push_back(
        {"disk", d.path, "", std::filesystem::file_size(d.path, size_ec), d.readonly, d.index});
  }
  if (auto w = vmm::RunReport::write_file(o.out_dir + "/config.json",
                                          vmm::RunReport::config_json(vm, c));
      !w) {
    return w;
  }
  return vmm::RunReport::write_file(o.out_dir + "/stats.json",
                                    vmm::RunReport::stats_json(vm, r, c.variant));
}

}  // namespace

namespace {
std::string hex_eip(uint32_t eip) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", eip);
  return text;
}
}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  std::string error, help;
  const auto opts = parse_run_options(args, error, &help);
  if (!help.empty()) {
    std::cout << help;
    return 0;
  }
  if (!opts) return fail(kUsage, error);
  const auto mode = vmm::mode_from_name(opts->mode);
  if (!mode) {
    return fail(kUsage, "unknown mode '" + opts->mode + "' (modes: native, trap, bt, pv, kvm)");
  }
  if (!modes::implemented(*mode)) {
    return fail(kNotImplemented,
                "mode '" + opts->mode + "' is not implemented yet; use --mode native");
  }
  if (*mode == vmm::ModeId::pv && !opts->modules.empty()) {
    // The domain builder hands a PV guest its start-info page, not the Multiboot
    // information, and lays its boot area over what follows the kernel.
    return fail(kUsage,
                "--initrd: a PV guest gets no module list (docs/pv-abi.md, \"Boot\"); boot "
                "it with --mode native, trap or bt");
  }
  auto mode_impl = modes::make(*mode, opts->mode_options);
  if (!mode_impl) return fail(exit_code_for(mode_impl.error()), mode_impl.error().message);
  auto profile = frontend::load_profile(opts->profile, opts->costs);
  if (!profile) return fail(exit_code_for(profile.error()), profile.error().message);

  vmm::VmConfig config;
  config.mode = std::move(mode_impl.value());
  config.profile = std::move(profile.value());
  machine::MachineConfig& mc = config.machine;
  mc.memory_mib = opts->memory_mib;
  mc.cpu_mhz = opts->cpu_mhz;
  mc.max_instructions = opts->max_instructions;
  // The command line a Multiboot kernel sees starts with the image path, as under QEMU.
  mc.cmdline = opts->kernel + (opts->append.empty() ? "" : " " + opts->append);
  mc.modules = opts->modules;
  for (const machine::DiskSpec& d : opts->disks) {
    // Checked here for the exit status of each kind of bad image; the machine opens it.
    if (auto image = machine::BlockImage::open(d.path, d.readonly); !image) {
      const bool read_only = image.error().code == EROFS;
      return fail(disk_exit_code_for(image.error()),
                  image.error().message + (read_only ? " (add ,readonly to --disk)" : ""));
    }
  }
  mc.disks = opts->disks;
  // A disk workload (run=diskread, ...; docs/disk.md, "Measuring") given no disk gets a
  // fresh scratch image, removed when the run ends.
  std::unique_ptr<frontend::ScratchDisk> scratch;
  if (mc.disks.empty() && frontend::cmdline_needs_disk(opts->append)) {
    auto made = frontend::ScratchDisk::create();
    if (!made) return fail(kNoInput, made.error().message);
    scratch = std::move(made.value());
    mc.disks.push_back({scratch->path(), 0, false});
    if (!opts->quiet) {
      std::cerr << "vmlab: note: no --disk: the disk workload runs on a fresh 1 MiB scratch "
                   "image, removed after the run\n";
    }
  }
  std::optional<ConsoleFile> console;
  if (opts->console_file.empty()) {
    mc.console_sink = machine::ConsoleOutput::stdout_sink();
  } else {
    auto file = ConsoleFile::open(opts->console_file);
    if (!file) return fail(kNoInput, file.error().message);
    console = std::move(file.value());
    mc.console_sink = console->sink();
  }
  // --restore: the re-executed part's console was the earlier run's (cli/snapshot_session.h).
  auto console_muted = std::make_shared<std::atomic<bool>>(false);
  mc.console_sink = [sink = std::move(mc.console_sink), console_muted](char c) {
    if (!console_muted->load(std::memory_order_relaxed)) sink(c);
  };
  std::string input_sha256;  // what a snapshot's fingerprint names the input by
  std::string input_bytes;   // what a migration's destination is given as its input
  // Without --input, stdin is the serial input (cli/terminal_console.h).
  StdinKind stdin_kind = StdinKind::kClosed;
  std::shared_ptr<machine::LiveInput> live_input;
  if (!opts->input_file.empty()) {
    auto bytes = machine::read_host_file(opts->input_file, "the console input", kMaxInputBytes);
    if (!bytes) return fail(kNoInput, bytes.error().message);
    input_sha256 = vmm::Sha256::hex(bytes.value());
    input_bytes.assign(bytes.value().begin(), bytes.value().end());
    mc.input =
        machine::ConsoleInput::from_string(std::string(bytes.value().begin(), bytes.value().end()));
  } else {
    stdin_kind = classify_stdin();
    if (stdin_kind == StdinKind::kFile) {
      auto bytes = read_stdin_whole(kMaxInputBytes);
      if (!bytes) return fail(kNoInput, bytes.error().message);
      input_sha256 = vmm::Sha256::hex(
          {reinterpret_cast<const uint8_t*>(bytes.value().data()), bytes.value().size()});
      input_bytes = bytes.value();
      mc.input = machine::ConsoleInput::from_string(std::move(bytes.value()));
    } else if (stdin_kind == StdinKind::kTerminal || stdin_kind == StdinKind::kStream) {
      if (opts->snapshots.any() || opts->migrate.any()) {
        return fail(
            kUsage,
            "snapshots and migration need deterministic input: give --input FILE, or stdin from a "
            "file (< /dev/null for none)");
      }
      live_input = std::make_shared<machine::LiveInput>();
      mc.input = machine::ConsoleInput::from_live(live_input);
    }
  }

  // --keys: the key script, parsed now so that a bad one is a usage error (64).
  if (!opts->keys.empty()) {
    std::string script = opts->keys;
    if (script[0] == '@') {
      auto bytes = machine::read_host_file(script.substr(1), "the key script", kMaxInputBytes);
      if (!bytes) return fail(kNoInput, "--keys: " + bytes.error().message);
      script.assign(bytes.value().begin(), bytes.value().end());
    }
    auto keys = machine::parse_key_script(script);
    if (!keys) return fail(kUsage, "--keys: " + keys.error().message);
    mc.keys = std::move(keys.value());
    // A snapshot names the keys with the input: restored with another script, it is refused.
    const std::string named = input_sha256 + "\n--keys\n" + script;
    input_sha256 = vmm::Sha256::hex({reinterpret_cast<const uint8_t*>(named.data()), named.size()});
  }

  // `monitor loadvm` under --gdb makes more machines of this configuration, not yet run.
  const machine::MachineConfig machine_config = mc;
  auto make_vm = [&, machine_config]() -> machine::Result<std::unique_ptr<vmm::Vm>> {
    if (live_input != nullptr) {
      return machine::Error{
          "a snapshot needs the run's input from a file (--input FILE, or "
          "stdin from a file: < /dev/null for none)",
          EINVAL};
    }
    auto m = modes::make(*mode, opts->mode_options);
    if (!m) return m.error();
    auto p = frontend::load_profile(opts->profile, opts->costs);
    if (!p) return p.error();
    vmm::VmConfig c{std::move(m.value()), machine_config, std::move(p.value())};
    auto v = vmm::Vm::create(std::move(c));
    if (!v) return v.error();
    if (auto k = v.value()->load_kernel(opts->kernel); !k) return k.error();
    return std::move(v.value());
  };
  auto created = vmm::Vm::create(std::move(config));
  if (!created) return fail(exit_code_for(created.error()), created.error().message);
  if (auto loaded = created.value()->load_kernel(opts->kernel); !loaded) {
    return fail(exit_code_for(loaded.error()), loaded.error().message);
  }
  vmm::Vm& vm = *created.value();
  vmm::Vm* active = &vm;  // the machine the run ends with (gdb's loadvm may swap one in)
  if (!opts->out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts->out_dir, ec);
    if (ec) return fail(kNoInput, "cannot create the --out directory " + opts->out_dir);
    // The report writers open their files for writing: one that exists must be a regular
    // file (a FIFO there would block the open until something reads it).
    for (const char* file : {"config.json", "stats.json", "trace.jsonl", "trace.json",
                             "trace.jsonl.gz", "trace.json.gz", "translations.jsonl"}) {
      const std::string path = opts->out_dir + "/" + file;
      const auto status = std::filesystem::status(path, ec);
      if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
        return fail(kNoInput, path + ": cannot write the report there: it is not a regular file");
      }
    }
    // A trace an earlier run left in this folder would not belong to this run's stats (nor
    // would a compressed one beside this run's plain files, or the other way round).
    for (const char* file : {"trace.jsonl", "trace.json", "trace.jsonl.gz", "trace.json.gz"}) {
      if (opts->trace && (std::string(file).ends_with(".gz") == opts->trace_gzip)) continue;
      std::filesystem::remove(opts->out_dir + "/" + file, ec);
      if (ec)
        return fail(kNoInput, opts->out_dir + "/" + file +
                                  ": cannot remove the earlier run's trace: " + ec.message());
    }
    if (opts->trace) {
      if (auto t = start_trace(vm, *opts); !t) return fail(kNoInput, t.error().message);
    }
    // bt: translations.jsonl keeps the fragments the cache drops on the way too.
    modes::bt::start_run_record(vm);
  }

  // The interactive console (a terminal in raw mode from here to finish()) or a stream.
  std::unique_ptr<TerminalConsole> terminal;
  if (live_input != nullptr) {
    auto started = TerminalConsole::start(stdin_kind, vm.machine(), live_input);
    if (!started) return fail(kNoInput, started.error().message);
    terminal = std::move(started.value());
  }
  // Ctrl-C (or SIGTERM) ends the run at the next slice, with its summary and files.
  InterruptStop interrupt_stop(vm.machine());
  if (stdin_kind == StdinKind::kTerminal) {
    InterruptStop::set_last_words(&TerminalConsole::restore_from_signal);
  }
  machine::RunResult r;
  std::optional<DebuggerMachines> machines;  // --gdb (cli/snapshot_session.h)
  bool gdb_killed = false;                   // `kill` in gdb ended the run
  MigrationOutcome migration;  // --migrate-to, or a destination (cli/migrate_session.h)
  if (opts->migrate.any() || incoming_migration()) {
    auto ran =
        run_with_migration(vm, *opts, args, input_bytes, input_sha256, *console_muted, migration);
    if (!ran) {
      if (terminal != nullptr) terminal->finish();
      return fail(migrate_exit_code(ran.error()), ran.error().message);
    }
    r = std::move(ran.value());
  } else if (opts->gdb_port) {
    auto server = debug::GdbServer::listen(*opts->gdb_port);
    if (!server) {
      if (terminal != nullptr) terminal->finish();
      return fail(kNoInput, server.error().message);
    }
    machines.emplace(vm, make_vm, *opts, input_sha256, *console_muted);
    server.value()->set_save_vm(machines->save_vm());
    server.value()->set_load_vm(machines->load_vm());
    std::cerr << "gdb: listening on 127.0.0.1:" << server.value()->port() << std::endl;
    r = server.value()->run(
        vm, opts->gdb_wait, [&] { return interrupt_stop.signal_received() != 0; }, std::cerr);
    gdb_killed = server.value()->killed();
    active = &machines->current();
  } else if (opts->snapshots.any()) {
    auto ran = run_with_snapshots(vm, *opts, input_sha256, *console_muted);
    if (!ran) {
      if (terminal != nullptr) terminal->finish();
      return fail(snapshot_exit_code(ran.error()), ran.error().message);
    }
    r = std::move(ran.value());
  } else {
    r = vm.run();
  }
  const bool quit = terminal != nullptr && terminal->quit_requested() &&
                    r.reason == machine::StopReason::kStopRequested;
  if (terminal != nullptr) terminal->finish();  // the terminal's mode restored
  if (const int sig = interrupt_stop.signal_received(); sig != 0) {
    r.message = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                " at EIP " + hex_eip(active->machine().cpu().guest_eip());
  } else if (quit) {
    r.message = "quit with Ctrl-A x at EIP " + hex_eip(active->machine().cpu().guest_eip());
  }
  // The guest's last line may be unfinished (a prompt): the summary starts a line of its own.
  if (stdin_kind == StdinKind::kTerminal && (quit || interrupt_stop.signal_received() != 0)) {
    std::cerr << "\n";
  }
  std::fflush(stdout);
  if (opts->display_text) print_text_screen(*active);
  if (!opts->out_dir.empty()) {
    if (auto f = active->recorder().finish(); !f) return fail(kNoInput, f.error().message);
    if (auto w = write_reports(*active, r, *opts, args); !w)
      return fail(kNoInput, w.error().message);
    // bt: the translations, for the event table of a run opened later (docs/trace-format.md).
    if (auto w = modes::bt::write_run_record(*active, opts->out_dir + "/translations.jsonl"); !w) {
      return fail(kNoInput, w.error().message);
    }
    if (!migration.stats_json.empty()) {
      if (auto w = add_migration_stats(opts->out_dir, migration.stats_json); !w) {
        return fail(kNoInput, w.error().message);
      }
    }
  }
  if (!opts->quiet || r.reason != machine::StopReason::kExitPort) {
    char figures[160];
    std::snprintf(figures, sizeof figures, "%llu instructions, %llu modeled cycles, %.3f s wall",
                  static_cast<unsigned long long>(r.instructions),
                  static_cast<unsigned long long>(r.cycles), r.wall_seconds);
    std::cerr << "vmlab: " << r.message << " (" << figures << ")\n";
  }
  if (console) {
    if (auto f = console->finish(); !f) return fail(kNoInput, f.error().message);
  } else if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    // The console went to stdout, and stdout could not take it (a full disk, /dev/full).
    return fail(kNoInput, "cannot write the guest console to stdout");
  }
  // The shell's convention for a process ended by a signal: 128 + its number.
  if (const int sig = interrupt_stop.signal_received(); sig != 0) return 128 + sig;
  if (quit) return 0;                     // as QEMU's Ctrl-A x
  if (gdb_killed) return 0;               // as QEMU's gdbstub on `k`
  if (migration.migrated_away) return 0;  // the destination runs the guest on
  return exit_code_for(r);
}

}  // namespace vmlab::cli
