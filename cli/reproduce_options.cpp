// `vmlab reproduce`'s command line (cli/command_line.h); `vmlab sweep` shares its options.
#include "cli/command_line.h"
#include "cli/options.h"

namespace vmlab::cli {
namespace {

constexpr const char* kReproduceDescription =
    R"(Re-runs the comparisons of a published paper on the guest OS, under the cost profile of
the paper's CPU, and prints for every figure the paper's value beside ours with the ratio
between them (cycles per operation and ratio to native), then every ordering the paper
states in its text as a line that holds or FAILS. The exit status is 1 when a claim fails.

papers: adams-agesen-2006, xen-2003, nested-paging, or all (vmlab reproduce --list
describes them))";

}  // namespace

void declare_measurement_options(CommandLine& cl, ReproduceOptions& o, const char* out_help) {
  cl.path("--out", o.out_dir, "DIR", "a folder", out_help);
  cl.count("-j,--jobs", kJobsOption, "N",
           "worker processes (default: one per core); the results are the same\nfor every N",
           [&o](uint64_t n) { o.jobs = static_cast<unsigned>(n); });
  cl.path("--kernel", o.kernel, "FILE", "a file",
          "the guest image (default: the guest built with vmlab)");
  cl.flag("-q,--quiet", o.quiet, "no progress line on stderr");
}

std::optional<ReproduceOptions> parse_reproduce_options(const std::vector<std::string>& args,
                                                        std::string& error, std::string* help) {
  ReproduceOptions o;
  CommandLine cl("reproduce", "vmlab reproduce [options] PAPER...\n       vmlab reproduce --list",
                 kReproduceDescription);
  cl.flag("--list", o.list, "name the papers and what each reproduces");
  declare_measurement_options(cl, o,
                              "write report.md, report.json, results.csv and the figures (SVG, "
                              "and\nPNG where vmlab was built with Qt) into DIR");
  cl.positionals(o.papers);
  const auto outcome = cl.parse(args, error);
  if (outcome == CommandLine::Outcome::kHelp && help) *help = cl.help();
  if (outcome != CommandLine::Outcome::kParsed) return std::nullopt;
  for (const auto& p : o.papers) {
    if (p.empty()) {
      error = "a paper's name cannot be empty (see vmlab reproduce --list)";
      return std::nullopt;
    }
  }
  if (!o.list && o.papers.empty()) {
    error = "name a paper, or all (vmlab reproduce --list names them)";
    return std::nullopt;
  }
  return o;
}

}  // namespace vmlab::cli
