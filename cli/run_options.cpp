// `vmlab run`'s command line: every option declared once, with its help (cli/command_line.h).
#include <algorithm>

#include "cli/command_line.h"
#include "cli/options.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/event.h"

namespace vmlab::cli {
namespace {

constexpr const char* kRunDescription =
    R"(Boots a Multiboot-1 ELF32 kernel (one that boots with qemu-system-i386 -kernel) on the
simulated PC. The guest's serial console (COM1) and the 0xE9 debug port go to stdout;
vmlab's own messages go to stderr.

Without --input, stdin is the guest's serial input, as qemu-system-i386 -serial stdio:
a terminal is put in raw mode (restored at exit) and what you type reaches the guest;
Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-C interrupts.
A pipe is streamed as it arrives; a regular file (or /dev/null) is read whole, as --input.
Typed or piped input makes a run non-deterministic; --input FILE keeps it deterministic.)";

constexpr const char* kRunExitStatus = R"(exit status:
  0-63   the guest wrote this value to the exit port 0xF4 (larger values show as 63)
  64     bad command line            65  not a loadable Multiboot kernel (pv: no PV note)
  66     a file could not be opened, read or written (the console)
  70     internal error
  71     the guest triple-faulted    72  --max-instructions exhausted
  73     the guest halted with nothing to wake it
  74     the guest used something vmlab does not model
  75     the guest requested a reset 76  mode not implemented yet
  80-85  a --disk image is missing (80), a directory (81), not readable (82), not a
         multiple of 512 bytes (83), read-only without ,readonly (84), not a file (85)
  86-89  --restore refused the snapshot: another format or vmlab version (86), another
         kernel, mode, profile, memory, disk or input (87), not a snapshot, truncated or
         corrupt (88), the restored machine differs from the saved one (89)
  90     migrate-listen: the migration failed or was refused; nothing ran)";

// --trace-events KIND,...: every name must be an event kind (docs/trace-format.md).
std::string take_trace_events(const std::string& v, std::vector<std::string>& kinds) {
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    const std::string k =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!vmm::event_kind_from_name(k)) {
      std::string valid;
      for (const auto kind : vmm::all_event_kinds()) {
        valid += (valid.empty() ? "" : ",");
        valid += vmm::event_kind_name(kind);
      }
      return "--trace-events: unknown event kind '" + k + "' (valid: " + valid + ")";
    }
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

std::string take_disk(const std::string& v, std::vector<machine::DiskSpec>& disks) {
  unsigned next = 0;
  while (std::any_of(disks.begin(), disks.end(),
                     [&](const machine::DiskSpec& d) { return d.index == next; })) {
    ++next;
  }
  std::string error;
  auto disk = parse_disk(v, next, error);
  if (!disk) return error;
  for (const auto& d : disks) {
    if (d.index == disk->index) return "two --disk options for index " + std::to_string(d.index);
  }
  disks.push_back(*disk);
  return "";
}

void declare(CommandLine& cl, RunOptions& o) {
  cl.each("-m,--mode", "MODE",
          "virtualization mode: native, trap (see --cpu, --npt), bt\n(binary translation), pv",
          [&o](const std::string& v) {
            if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
              // QEMU's -m is the memory size; vmlab's is the mode.
              return "-m is the mode in vmlab (native, trap, bt, pv); for " + v +
                     " MiB of guest memory, as qemu's -m, use --memory " + v;
            }
            o.mode = v;
            return std::string();
          });
  cl.each("--cpu", "classic|vt",
          "with --mode trap: a classic IA-32 CPU or one with VT-x-like\nguest mode (default vt)",
          [&o](const std::string& v) {
            if (v == "classic") {
              o.mode_options.cpu = vmm::ModeOptions::Cpu::kClassic;
            } else if (v == "vt") {
              o.mode_options.cpu = vmm::ModeOptions::Cpu::kVt;
            } else {
              return "--cpu takes classic or vt (got '" + v + "')";
            }
            return std::string();
          });
  cl.flag("--npt", o.mode_options.nested_paging,
          "with --mode trap --cpu vt: nested paging instead of shadow");
  cl.text("--append", o.append, "CMDLINE",
          "the kernel command line; a Multiboot kernel sees \"KERNEL.elf\nCMDLINE\", as under "
          "QEMU and GRUB; a bzImage sees CMDLINE");
  cl.each("--initrd", "\"FILE ARGS,...\"",
          "Multiboot modules, as qemu -initrd: comma-separated (\",,\" for a\ncomma), each a "
          "file and its arguments; the kernel sees the whole\nentry as the module's string",
          [&o](const std::string& v) {
            auto modules = parse_initrd(v);
            if (!modules) {
              return "--initrd takes FILE[ ARGS][,FILE[ ARGS]...], as qemu -initrd (got '" + v +
                     "')";
            }
            o.modules.insert(o.modules.end(), modules->begin(), modules->end());
            return std::string();
          });
  cl.each("--disk", "FILE[,index=N][,readonly]",
          "a raw disk image on the primary ATA channel, as qemu -drive\nfile=FILE,index=N,"
          "format=raw: index 0 master (the first free\none by default), 1 slave; readonly: "
          "writes fail (docs/disk.md)",
          [&o](const std::string& v) { return take_disk(v, o.disks); });
  cl.count("--memory", kMemoryOption, "MIB",
           "guest RAM in MiB (default 128, 4..3072, in every mode)",
           [&o](uint64_t n) { o.memory_mib = static_cast<uint32_t>(n); });
  cl.count("--max-instructions", kMaxInstructionsOption, "N",
           "stop after N instructions, N >= 1 (k, M, G suffixes: 500M);\ndefault none",
           [&o](uint64_t n) { o.max_instructions = n; });
  cl.count("--cpu-mhz", kCpuMhzOption, "MHZ", "modeled clock for the timers (default 1000)",
           [&o](uint64_t n) { o.cpu_mhz = static_cast<uint32_t>(n); });
  cl.path("--console", o.console_file, "FILE", "a file",
          "write the guest console to FILE (a regular file or a device)\ninstead of stdout");
  cl.path("--input", o.input_file, "FILE", "a file",
          "feed FILE (a regular file) to the guest's serial input\n(deterministic)");
  cl.text("--keys", o.keys, "SCRIPT|@FILE",
          "type SCRIPT (or FILE's text) on the PS/2 keyboard, in modeled\ntime (deterministic): "
          "\"hello<enter><wait 500ms><esc><S-a>\";\nsyntax in docs/cli.md, \"Key scripts\"");
  cl.each("--display", "text|none", "text: print the CGA text screen (0xB8000) on stdout at exit",
          [&o](const std::string& v) {
            if (v != "text" && v != "none") return "--display takes text or none (got '" + v + "')";
            o.display_text = v == "text";
            return std::string();
          });
  cl.flag("-q,--quiet", o.quiet, "no summary line on stderr");

  cl.group("watching and measuring");
  cl.path("--out", o.out_dir, "DIR", "a directory",
          "write config.json and stats.json into DIR (created if missing)");
  cl.flag("--trace", o.trace,
          "also write the event trace: DIR/trace.jsonl and DIR/trace.json\n(Chrome trace-event "
          "format; open it in ui.perfetto.dev)");
  cl.count("--trace-limit", kTraceLimitOption, "N",
           "at most N events in the trace files (default 1M; 0 = no limit)",
           [&o](uint64_t n) { o.trace_limit = n; });
  cl.each("--trace-events", "KIND,...",
          "only these event kinds in the trace files (as QEMU's --trace;\nkinds: "
          "docs/trace-format.md, e.g. trap,hypercall); implies --trace",
          [&o](const std::string& v) {
            o.trace = true;
            return take_trace_events(v, o.trace_events);
          });
  cl.flag("--trace-gzip",
          "write DIR/trace.jsonl.gz and DIR/trace.json.gz (gzip) instead;\nimplies --trace",
          [&o] { o.trace = o.trace_gzip = true; });
  cl.path("--profile", o.profile, "NAME", "a profile name or file",
          "cost profile (profiles/NAME.profile, or a file path);\ndefault native-1c (every "
          "instruction 1 cycle)");
  cl.each("--cost", "KEY=CYCLES",
          "override one cost, e.g. --cost port_io=500,\n--cost insn.divide=40 (repeatable; "
          "docs/cost-model.md)",
          [&o](const std::string& v) { return take_cost(v, o.costs); });

  cl.group("debugging (docs/gdb.md)");
  cl.count("--gdb", kGdbPortOption, "PORT",
           "serve gdb's remote protocol on 127.0.0.1:PORT (0: a free port,\nprinted as \"gdb: "
           "listening on 127.0.0.1:N\"); -s: --gdb 1234",
           [&o](uint64_t n) { o.gdb_port = static_cast<uint16_t>(n); });
  cl.flag("-s", "--gdb 1234, as QEMU's -s", [&o] { o.gdb_port = 1234; });
  cl.flag("-S,--gdb-wait", o.gdb_wait, "wait for gdb before the first instruction");

  cl.group("snapshots (docs/snapshots.md; need deterministic input: --input FILE or stdin a file)");
  declare_snapshot_options(cl, o.snapshots);

  cl.group("live migration (docs/migration.md; deterministic input as for snapshots)");
  declare_migrate_options(cl, o.migrate);
}

}  // namespace

std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error, std::string* help) {
  RunOptions o;
  std::vector<std::string> positional;
  CommandLine cl("run", "vmlab run [options] KERNEL.elf", kRunDescription, kRunExitStatus);
  declare(cl, o);
  cl.positionals(positional);
  switch (cl.parse(args, error)) {
    case CommandLine::Outcome::kHelp:
      if (help) *help = cl.help();
      error.clear();
      return std::nullopt;
    case CommandLine::Outcome::kError: return std::nullopt;
    case CommandLine::Outcome::kParsed: break;
  }
  if (positional.size() > 1) {
    error =
        "more than one kernel image given ('" + positional[0] + "' and '" + positional[1] + "')";
    return std::nullopt;
  }
  if (positional.empty()) {
    error = "no kernel image given (usage: vmlab run [options] KERNEL.elf)";
    return std::nullopt;
  }
  o.kernel = positional[0];
  if (o.trace && o.out_dir.empty()) {
    error = "--trace writes its files into the --out directory: add --out DIR";
    return std::nullopt;
  }
  if (o.gdb_wait && !o.gdb_port) {
    error = "--gdb-wait (-S) waits for gdb on the --gdb port: add --gdb PORT or -s";
    return std::nullopt;
  }
  if (o.snapshots.reexecute && o.snapshots.restore.empty()) {
    error = "--restore-reexecute says how to restore: add --restore FILE";
    return std::nullopt;
  }
  if (o.snapshots.tracking_given && o.snapshots.every_cycles == 0) {
    error = "--snapshot-tracking says how --snapshot-every finds written pages: add it";
    return std::nullopt;
  }
  if (o.gdb_port && o.snapshots.any()) {
    error = "--gdb and the snapshot options cannot be combined yet (docs/snapshots.md)";
    return std::nullopt;
  }
  if (!check_migrate_options(o.migrate, error)) return std::nullopt;
  if (o.migrate.any() && (o.gdb_port || o.snapshots.any())) {
    error = "--migrate-to cannot be combined with --gdb or the snapshot options yet";
    return std::nullopt;
  }
  return o;
}

}  // namespace vmlab::cli
