// Command-line parsing for the `vmlab` command: per subcommand, options declared once on a
// CLI11 command line (cli/command_line.h, *_options.cpp) that turns argv into options, its
// --help text, or a usage error with a one-line message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/migrate_options.h"
#include "cli/snapshot_options.h"
#include "engine/machine/block_image.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/core/mode.h"
#include "frontend/resources.h"

namespace vmlab::cli {

// --cost KEY=CYCLES, in command-line order.
using frontend::CostOverrides;

struct RunOptions {
  std::string mode = "native";
  vmm::ModeOptions mode_options;  // --cpu classic|vt, --npt
  std::string kernel;
  std::string append;  // the kernel command line after the image path, as with qemu -append
  // --initrd: the Multiboot modules, in order, as with qemu -initrd.
  std::vector<machine::MultibootModule> modules;
  // --disk FILE[,index=N][,readonly]: the ATA disks (docs/disk.md).
  std::vector<machine::DiskSpec> disks;
  uint32_t memory_mib = 128;
  uint64_t max_instructions = 0;  // 0: no budget
  uint32_t cpu_mhz = 1000;
  std::string console_file;   // empty: the guest console goes to stdout
  std::string input_file;     // the guest's serial input; empty: none
  std::string keys;           // --keys: a key script, or @FILE; empty: none
  bool quiet = false;         // no summary line on stderr
  bool display_text = false;  // --display text: print the CGA text screen at exit
  // Watching and measuring (docs/trace-format.md, docs/cost-model.md).
  std::string out_dir;  // --out: config.json and stats.json (and traces) go here
  bool trace = false;   // --trace: trace.jsonl and trace.json in out_dir
  uint64_t trace_limit = 1'000'000;
  // --trace-events KIND,...: only these kinds in the trace files (empty: every kind).
  std::vector<std::string> trace_events;
  bool trace_gzip = false;  // --trace-gzip: trace.jsonl.gz and trace.json.gz instead
  std::string profile = "native-1c";
  CostOverrides costs;
  // --gdb PORT (-s: 1234): the gdb remote stub on 127.0.0.1 (port 0: any free one);
  // --gdb-wait (-S): wait for the debugger before the first instruction (docs/gdb.md).
  std::optional<uint16_t> gdb_port;
  bool gdb_wait = false;
  // --snapshot-at, --snapshot-at-insn, --snapshot-on-exit, --snapshot-every, --restore.
  SnapshotOptions snapshots;
  // --migrate-to, --migrate-at, ... (cli/migrate_options.h, docs/migration.md).
  MigrateOptions migrate;
};

struct CompareOptions {
  std::vector<std::string> modes = {"native"};
  bool all_modes = false;              // --modes all: every implemented mode, a note for the others
  std::vector<std::string> workloads;  // empty: every workload
  std::string profile = "native-1c";
  CostOverrides costs;
  std::string format = "table";  // table, csv, json
  std::string kernel;            // empty: the guest built with vmlab
  uint64_t iters = 0;            // 0: each workload's default
  uint32_t memory_mib = 128;
  uint32_t cpu_mhz = 1000;
  bool quiet = false;  // no progress on stderr
  unsigned jobs = 0;   // -j: worker processes; 0: one per core
};

struct ReproduceOptions {
  std::vector<std::string> papers;  // ids, or "all"
  bool list = false;                // --list
  std::string out_dir;              // --out: report.md, report.json, results.csv, figures
  std::string kernel;               // empty: the guest built with vmlab
  unsigned jobs = 0;                // -j: worker processes; 0: one per core
  bool quiet = false;               // no progress on stderr
};

// Parse the arguments after `vmlab run`, `compare` or `reproduce`: the options, or nullopt
// with the error message; or, for --help / -h, nullopt with `*help` set (error empty).
std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error, std::string* help = nullptr);
std::optional<CompareOptions> parse_compare_options(const std::vector<std::string>& args,
                                                    std::string& error,
                                                    std::string* help = nullptr);
std::optional<ReproduceOptions> parse_reproduce_options(const std::vector<std::string>& args,
                                                        std::string& error,
                                                        std::string* help = nullptr);
class CommandLine;
// --out, -j/--jobs, --kernel, -q: the options reproduce and sweep share.
void declare_measurement_options(CommandLine& cl, ReproduceOptions& o, const char* out_help);

// A numeric option: its name, its range and how its usage error describes it. run,
// compare and bt-dump parse every number through one of these, so an option means the same
// everywhere and no value is ever taken outside its range.
struct CountOption {
  const char* name;     // "--memory"
  uint64_t min, max;    // the accepted values, inclusive
  const char* what;     // "a size in MiB"
  const char* example;  // "128"
  const char* note;     // appended to the error, may be ""
};
extern const CountOption kMemoryOption;
extern const CountOption kMaxInstructionsOption;
extern const CountOption kCpuMhzOption;
extern const CountOption kTraceLimitOption;
extern const CountOption kItersOption;
extern const CountOption kJobsOption;
extern const CountOption kGdbPortOption;

// Parses an unsigned decimal number with an optional k/M/G suffix (powers of 1000); no
// sign, no blanks, no value that does not fit in 64 bits.
std::optional<uint64_t> parse_count(const std::string& text);
// The value of `option` given as `text`, inside its range; else nullopt and the usage error.
std::optional<uint64_t> parse_count_option(const CountOption& option, const std::string& text,
                                           std::string& error);
// --cost KEY=CYCLES (run, compare): appends it to `costs`; "" or the error.
std::string take_cost(const std::string& v, CostOverrides& costs);
// Parses KEY=CYCLES of --cost (CYCLES at most vmm::CostProfile::kMaxCycles).
std::optional<std::pair<std::string, uint64_t>> parse_cost(const std::string& text);
// Parses --initrd "FILE ARGS,FILE ARGS,..." as qemu-system-i386 -initrd does: the modules
// are separated by commas (",," stands for a comma inside one); a module's file is its
// entry up to the first blank, and its Multiboot string is the whole entry, file name
// first, as the kernel's command line starts with the image path.
std::optional<std::vector<machine::MultibootModule>> parse_initrd(const std::string& text);
// Parses --disk "FILE[,index=N][,readonly]" as qemu -drive's file=, index= and readonly
// (FILE may also be given as file=FILE; readonly=on and readonly=off are accepted).
// `next_index` is the index a disk without index= gets: the first free one, as QEMU's.
std::optional<machine::DiskSpec> parse_disk(const std::string& text, unsigned next_index,
                                            std::string& error);
// Splits "a,b,c".
std::vector<std::string> split_list(const std::string& text);

}  // namespace vmlab::cli
