// `vmlab compare`'s command line: every option declared once, with its help
// (cli/command_line.h).
#include "cli/command_line.h"
#include "cli/options.h"

namespace vmlab::cli {
namespace {

constexpr const char* kCompareDescription =
    R"(Runs each workload of the guest OS in each mode and prints the modeled cycles per
operation (measured by the guest with RDTSC), the ratio to native, the instructions per
operation and the events per operation. Every (mode, workload) is booted twice, with N and
2N iterations; the difference of the event counts divided by N cancels boot and shutdown.
The (mode, workload) cells run in parallel worker processes.)";

}  // namespace

std::optional<CompareOptions> parse_compare_options(const std::vector<std::string>& args,
                                                    std::string& error, std::string* help) {
  CompareOptions o;
  CommandLine cl("compare", "vmlab compare [options]", kCompareDescription);
  cl.each("--modes", "LIST",
          "comma-separated modes, or all (default native): native, trap (VT CPU,\nshadow "
          "paging), trap-npt (VT CPU, nested paging), trap-classic, bt,\npv. Modes not "
          "implemented yet: named in an error (status 76), or\nskipped with a note under all",
          [&o](const std::string& v) {
            o.modes = split_list(v);
            o.all_modes = o.modes.size() == 1 && o.modes[0] == "all";
            return o.modes.empty() ? "--modes takes a list such as native,trap or all"
                                   : std::string();
          });
  cl.each("--workloads", "LIST",
          "comma-separated workloads, or all (default all; docs/guest.md); the\ndisk workloads "
          "(diskread, ...) each get a fresh scratch disk, and\na mode whose guest has no block "
          "device shows them as skipped",
          [&o](const std::string& v) {
            o.workloads = split_list(v);
            if (o.workloads.size() == 1 && o.workloads[0] == "all") o.workloads.clear();
            return std::string();
          });
  cl.path("--profile", o.profile, "NAME", "a file or name",
          "cost profile (default native-1c; docs/cost-model.md)");
  cl.each("--cost", "KEY=CYCLES", "override one cost (repeatable)",
          [&o](const std::string& v) { return take_cost(v, o.costs); });
  cl.each("--format", "FORMAT", "table (default), csv or json", [&o](const std::string& v) {
    if (v != "table" && v != "csv" && v != "json") {
      return "--format takes table, csv or json (got '" + v + "')";
    }
    o.format = v;
    return std::string();
  });
  cl.count("--iters", kItersOption, "N",
           "N for every workload (default: each workload's quick count)",
           [&o](uint64_t n) { o.iters = n; });
  cl.path("--kernel", o.kernel, "FILE", "a file or name",
          "the guest image (default: the guest built with vmlab)");
  cl.count("--memory", kMemoryOption, "MIB", "guest RAM (default 128)",
           [&o](uint64_t n) { o.memory_mib = static_cast<uint32_t>(n); });
  cl.count("--cpu-mhz", kCpuMhzOption, "MHZ", "modeled clock (default 1000)",
           [&o](uint64_t n) { o.cpu_mhz = static_cast<uint32_t>(n); });
  cl.count("-j,--jobs", kJobsOption, "N",
           "worker processes (default: one per core); the output is the same\nfor every N",
           [&o](uint64_t n) { o.jobs = static_cast<unsigned>(n); });
  cl.flag("-q,--quiet", o.quiet, "no progress line on stderr");
  const auto outcome = cl.parse(args, error);
  if (outcome == CommandLine::Outcome::kHelp && help) *help = cl.help();
  if (outcome != CommandLine::Outcome::kParsed) return std::nullopt;
  return o;
}

}  // namespace vmlab::cli
