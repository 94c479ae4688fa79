#include "cli/cmd_sweep.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/sweep_slurm.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/vmm/trace/json_writer.h"
#include "frontend/cell_runner.h"
#include "frontend/resources.h"
#include "frontend/sweep/grid.h"
#include "frontend/sweep/toml_grid.h"
#include "frontend/workloads.h"

namespace vmlab::cli {

namespace {

using namespace vmlab::frontend;
namespace fs = std::filesystem;

constexpr const char* kSweepDescription =
    R"(Measures every cell of a grid, modes x workloads x profiles x cost override sets, as
`vmlab compare` measures (two boots, N and 2N iterations), in parallel worker processes.
Each cell gets its own folder DIR/cells/NNNN-MODE-WORKLOAD-PROFILE-cK/ (result.json and
the exact measurement); DIR/results.csv and DIR/results.json combine them. A cell whose
folder holds a result is not measured again, so an interrupted sweep resumes where it
stopped. docs/sweep.md describes the grid file (JSON, or TOML for a name ending in .toml).)";

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.substr(0, 40);
}

std::string costs_text(const sweep::CostSet& c) {
  std::string s;
  for (const auto& [k, v] : c) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return s;
}

std::string fixed(double x, int d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", d, x);
  return buf;
}

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return static_cast<bool>(f) || f.eof();
}

bool write_file(const fs::path& p, const std::string& text) {
  // Written beside, then renamed: a cell's folder never holds half a result.
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) return false;
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  return !ec;
}

struct SweepCell {
  Cell cell;
  std::string profile;  // the profile's name, without the cost set
  size_t cost_set = 0;
  std::string args;
  fs::path dir;
};

std::string cell_json(const SweepCell& sc, const sweep::CostSet& costs, const Measurement& m) {
  vmm::JsonWriter json(true);
  json.begin_object();
  json.key("schema").value("vmlab-sweep-cell/1");
  json.key("mode").value(sc.cell.variant->name);
  json.key("workload").value(sc.cell.workload);
  json.key("args").value(sc.args);
  json.key("iters").value(sc.cell.iters);
  json.key("profile").value(sc.profile);
  json.key("costs").begin_object();
  for (const auto& [k, v] : costs) json.key(k).value(v);
  json.end_object();
  json.key("ok").value(m.ok);
  if (m.skipped) json.key("skipped").value(true);
  if (!m.ok) json.key(m.skipped ? "reason" : "error").value(m.error);
  json.key("cycles_per_op").fixed(m.cycles_per_op, 1);
  json.key("modeled_cycles_per_op").fixed(m.modeled_cycles_per_op, 1);
  json.key("instructions_per_op").fixed(m.instructions_per_op, 1);
  json.key("events_per_op").begin_object();
  for (unsigned i = 1; i < vmm::kNumEventKinds; ++i) {
    if (m.events_per_op[i] >= 0.0005) {
      json.key(vmm::event_kind_name(static_cast<vmm::EventKind>(i))).fixed(m.events_per_op[i], 3);
    }
  }
  json.end_object();
  json.end_object();
  return json.str() + "\n";
}

// The options only sweep has, taken out before the rest is parsed as reproduce's.
struct SweepOnly {
  bool collect = false;
  bool slurm = false;
  bool dry_run = false;
  bool has_cells = false;
  size_t first = 0, last = 0;  // --cells, inclusive
  size_t chunk = 1;
  std::string partition;
  std::string time, mem, account;  // sbatch --time, --mem, --account
};

// The Slurm options go into the scripts' #SBATCH lines: only the characters their syntax
// uses (sbatch(1)), so that no value can end a line or add an option.
bool slurm_value_ok(const std::string& option, const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (option == "--time"  ? !(digit || c == ':' || c == '-')
        : option == "--mem" ? !(digit || c == 'K' || c == 'M' || c == 'G' || c == 'T')
                            : !(digit || alpha || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool parse_cells(const std::string& v, size_t& first, size_t& last) {
  const size_t dash = v.find('-');
  auto a = parse_count(v.substr(0, dash));
  auto b = dash == std::string::npos ? a : parse_count(v.substr(dash + 1));
  if (!a || !b || *a > *b || *b > 1000000) return false;
  first = static_cast<size_t>(*a);
  last = static_cast<size_t>(*b);
  return true;
}

// sweep's command line: reproduce's measurement options, the grid file, and its own.
CommandLine sweep_command_line(ReproduceOptions& o, SweepOnly& only) {
  CommandLine cl("sweep", "vmlab sweep [options] --out DIR GRID.json|GRID.toml", kSweepDescription);
  declare_measurement_options(cl, o, "the sweep's folder (required)");
  cl.each("--cells", "A-B",
          "measure only cells A to B (their numbers, inclusive; or one cell A),\nwithout the "
          "combined files: one share of a sweep split across jobs",
          [&only](const std::string& v) {
            only.has_cells = true;
            return parse_cells(v, only.first, only.last)
                       ? std::string()
                       : "--cells takes cell numbers A-B (A <= B) or A, not '" + v + "'";
          });
  cl.flag("--collect", only.collect,
          "measure nothing: combine the cells' results into results.csv and\nresults.json, as a "
          "full run writes them; names the cells still missing\n(GRID.json may be left out: "
          "DIR/grid.json, saved by every sweep)");
  cl.flag("--slurm", only.slurm,
          "write DIR/slurm/sweep.sbatch (a job array, one task per chunk of\ncells) and "
          "DIR/slurm/collect.sbatch (--collect, after the array has\nsucceeded) and submit both "
          "with sbatch (docs/sweep.md)");
  static const CountOption kChunkOption{"--chunk", 1, 100000, "a number of cells per array task",
                                        "10",      ""};
  cl.count("--chunk", kChunkOption, "N", "cells per array task (default 1)",
           [&only](uint64_t n) { only.chunk = static_cast<size_t>(n); });
  // The Slurm values go into the scripts' #SBATCH lines: checked by slurm_value_ok.
  const auto slurm = [](const char* name, std::string& target, const char* takes) {
    return [name, &target, takes](const std::string& v) {
      if (!slurm_value_ok(name, v))
        return std::string(name) + " takes " + takes + ", not '" + v + "'";
      target = v;
      return std::string();
    };
  };
  cl.each("--partition", "P", "the Slurm partition (default: the cluster's default)",
          slurm("--partition", only.partition, "a partition name (letters, digits, _ - .)"));
  cl.each("--time", "T", "each job's time limit, as sbatch --time (MM, HH:MM:SS, D-HH:MM, ...)",
          slurm("--time", only.time, "a Slurm time such as 30, 2:00:00 or 1-12:00"));
  cl.each("--mem", "M", "memory per node, as sbatch --mem (a number, optionally K, M, G or T)",
          slurm("--mem", only.mem, "a Slurm size such as 4000 or 8G"));
  cl.each("--account", "A", "the account the jobs are charged to, as sbatch --account",
          slurm("--account", only.account, "an account name (letters, digits, _ - .)"));
  cl.flag("--dry-run", only.dry_run, "with --slurm: write the scripts, submit nothing");
  cl.positionals(o.papers);
  return cl;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  SweepOnly only;
  ReproduceOptions parsed;
  std::string error;
  if (const auto status = sweep_command_line(parsed, only).parse_or_status(args)) return *status;
  if (only.dry_run && !only.slurm) return fail(kUsage, "--dry-run goes with --slurm");
  if ((only.chunk != 1 || !only.partition.empty() || !only.time.empty() || !only.mem.empty() ||
       !only.account.empty()) &&
      !only.slurm) {
    return fail(kUsage, "--chunk, --partition, --time, --mem and --account go with --slurm");
  }
  if (int(only.collect) + int(only.slurm) + int(only.has_cells) > 1) {
    return fail(kUsage, "--collect, --slurm and --cells exclude each other");
  }
  const ReproduceOptions* opts = &parsed;
  if (parsed.papers.empty() && only.collect && !parsed.out_dir.empty()) {
    // --collect without a grid: the copy the sweep saved in its folder.
    parsed.papers.push_back((fs::path(parsed.out_dir) / "grid.json").string());
  }
  if (parsed.papers.empty()) return fail(kUsage, "name a grid file (GRID.json)");
  if (parsed.papers.size() != 1) {
    return fail(kUsage, "name one grid file (see vmlab sweep --help)");
  }
  if (opts->out_dir.empty()) return fail(kUsage, "--out DIR is required: the sweep's folder");
  std::string text;
  if (!read_file(opts->papers[0], text)) return fail(kNoInput, "cannot read " + opts->papers[0]);
  // A TOML grid is the same grid in TOML's syntax: its JSON form is what runs and what
  // DIR/grid.json keeps (frontend/sweep/toml_grid.h).
  if (sweep::is_toml_path(opts->papers[0])) {
    std::string json;
    if (!sweep::toml_to_json(text, json, error)) {
      return fail(kUsage, opts->papers[0] + ": " + error);
    }
    text = json + "\n";
  }
  sweep::Grid grid;
  if (!sweep::parse_grid(text, grid, error)) {
    return fail(kUsage, opts->papers[0] + ": " + error);
  }
  const std::string kernel = opts->kernel.empty() ? default_guest_kernel() : opts->kernel;
  if (auto image = machine::MultibootLoader::read_kernel_file(kernel); !image && !only.collect) {
    return fail(exit_code_for(image.error()), image.error().message);
  }
  for (const std::string& m : grid.modes) {
    if (!variant_available(*find_variant(m))) {
      return fail(kNotImplemented, "mode " + m + " is not implemented yet");
    }
  }

  if (std::error_code disk_ec;
      !grid.disk.empty() && !only.collect && !fs::is_regular_file(grid.disk, disk_ec)) {
    return fail(kNoInput, opts->papers[0] + ": the grid's disk " + grid.disk +
                              " is not a readable image file");
  }
  CellRunner runner({kernel, 128, 1000, opts->jobs});
  runner.set_disk_image(grid.disk);
  const fs::path out = opts->out_dir;
  std::error_code ec;
  fs::create_directories(out / "cells", ec);
  if (ec) return fail(kNoInput, "cannot create the folder " + (out / "cells").string());

  // Cells in a fixed order (profile, cost set, workload, mode), numbered in it.
  std::vector<SweepCell> all;
  for (const std::string& p : grid.profiles) {
    for (size_t k = 0; k < grid.costs.size(); ++k) {
      const std::string key = p + "#c" + std::to_string(k);
      auto profile = load_profile(p, grid.costs[k]);
      if (!profile) return fail(exit_code_for(profile.error()), profile.error().message);
      runner.add_profile(key, profile.value());
      for (const sweep::GridWorkload& w : grid.workloads) {
        const uint64_t iters = w.iters ? w.iters : find_workload(w.name)->default_iters;
        for (const std::string& m : grid.modes) {
          SweepCell sc;
          sc.cell = {find_variant(m), w.name, iters, key, w.args};
          sc.profile = p;
          sc.cost_set = k;
          sc.args = w.args;
          char num[16];
          std::snprintf(num, sizeof num, "%04zu", all.size());
          sc.dir = out / "cells" /
                   (std::string(num) + "-" + m + "-" + w.name + "-" + slug(p) + "-c" +
                    std::to_string(k));
          all.push_back(std::move(sc));
        }
      }
    }
  }

  // The grid beside its cells, for --collect and the Slurm scripts (written only when it
  // changed, so array tasks starting together do not race on it).
  if (std::string saved_grid; !read_file(out / "grid.json", saved_grid) || saved_grid != text) {
    if (!write_file(out / "grid.json", text)) {
      return fail(kNoInput, "cannot write " + (out / "grid.json").string());
    }
  }
  if (only.slurm) {
    SlurmPlan plan;
    plan.vmlab = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(kInternal, "cannot find the vmlab executable (/proc/self/exe)");
    plan.out = fs::absolute(out);
    plan.kernel = fs::absolute(kernel).string();
    plan.cells = all.size();
    plan.chunk = only.chunk;
    plan.jobs = opts->jobs ? opts->jobs : 1;
    plan.partition = only.partition;
    plan.time = only.time;
    plan.mem = only.mem;
    plan.account = only.account;
    plan.dry_run = only.dry_run;
    plan.quiet = opts->quiet;
    return slurm_submit(plan);
  }
  size_t first = 0, last = all.size() - 1;
  if (only.has_cells) {
    if (only.last >= all.size()) {
      return fail(kUsage, "--cells " + std::to_string(only.first) + "-" +
                              std::to_string(only.last) + ": the grid has cells 0 to " +
                              std::to_string(all.size() - 1));
    }
    first = only.first;
    last = only.last;
  }

  // Resume: a cell whose folder holds its measurement is not measured again.
  std::vector<Measurement> results(all.size());
  std::vector<size_t> todo;
  for (size_t i = first; i <= last; ++i) {
    std::string bytes;
    if (read_file(all[i].dir / "measurement.bin", bytes) && deserialize(bytes, results[i]) &&
        (results[i].ok || results[i].skipped)) {
      continue;
    }
    todo.push_back(i);
  }
  const size_t range = last - first + 1;
  if (only.collect && !todo.empty()) {
    std::string names;
    for (size_t j = 0; j < todo.size() && j < 8; ++j) {
      names += "\n  " + all[todo[j]].dir.filename().string();
    }
    if (todo.size() > 8) names += "\n  ... and " + std::to_string(todo.size() - 8) + " more";
    return fail(kNoInput, std::to_string(todo.size()) + " of " + std::to_string(all.size()) +
                              " cells have no result in " + out.string() +
                              " (not measured yet, or failed):" + names);
  }
  if (!opts->quiet && todo.size() < range && !only.collect) {
    std::cerr << "vmlab sweep: " << range - todo.size() << " of " << range
              << " cells already measured in " << out.string() << "\n";
  }
  std::vector<Cell> cells;
  for (size_t i : todo) cells.push_back(all[i].cell);
  bool saved = true;
  CellProgress progress;
  if (!opts->quiet) progress = progress_printer("sweep");
  runner.run(cells, progress, [&](size_t j, const Measurement& m) {
    const size_t i = todo[j];
    results[i] = m;
    // A failed cell is measured again next time; a skipped one (the guest cannot run the
    // workload in that mode) is a result, kept as one.
    if (!m.ok && !m.skipped) return;
    std::error_code e;
    fs::create_directories(all[i].dir, e);
    saved =
        saved && !e &&
        write_file(all[i].dir / "result.json", cell_json(all[i], grid.costs[all[i].cost_set], m)) &&
        write_file(all[i].dir / "measurement.bin", serialize(m));
  });
  if (!saved) return fail(kNoInput, "cannot write the cells' results under " + out.string());
  if (only.has_cells) {
    // One share of the sweep: the combined files are --collect's.
    int status = 0;
    for (size_t i : todo) {
      if (!results[i].ok) {
        std::cerr << "vmlab: " << all[i].dir.filename().string() << ": "
                  << (results[i].skipped ? "skipped: " : "") << results[i].error << "\n";
        if (!results[i].skipped) status = 1;
      }
    }
    return status;
  }

  // The combined results, in cell order.
  std::ostringstream csv;
  csv << "cell,mode,workload,args,iters,profile,costs,ok,cycles_per_op,modeled_cycles_per_op,"
         "instructions_per_op,tlb_misses_per_op,walk_references_per_op,skipped\n";
  vmm::JsonWriter json(true);
  json.begin_object();
  json.key("schema").value("vmlab-sweep/1");
  json.key("cells").begin_array();
  int status = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const SweepCell& sc = all[i];
    const Measurement& m = results[i];
    const std::string costs = costs_text(grid.costs[sc.cost_set]);
    csv << sc.dir.filename().string() << "," << sc.cell.variant->name << "," << sc.cell.workload
        << ",\"" << sc.args << "\"," << sc.cell.iters << "," << sc.profile << ",\"" << costs
        << "\"," << (m.ok ? 1 : 0);
    if (m.ok) {
      csv << "," << fixed(m.cycles_per_op, 1) << "," << fixed(m.modeled_cycles_per_op, 1) << ","
          << fixed(m.instructions_per_op, 1) << "," << fixed(m.tlb_misses_per_op, 3) << ","
          << fixed(m.walk_references_per_op, 3);
    } else {
      csv << ",,,,,";
      // A skipped cell is no failure: the guest said why it cannot run the workload.
      std::cerr << "vmlab: " << sc.dir.filename().string() << ": " << (m.skipped ? "skipped: " : "")
                << m.error << "\n";
      if (!m.skipped) status = 1;
    }
    csv << "," << (m.skipped ? 1 : 0) << "\n";
    json.begin_object();
    json.key("cell").value(sc.dir.filename().string());
    json.key("mode").value(sc.cell.variant->name);
    json.key("workload").value(sc.cell.workload);
    json.key("args").value(sc.args);
    json.key("iters").value(sc.cell.iters);
    json.key("profile").value(sc.profile);
    json.key("costs").value(costs);
    json.key("ok").value(m.ok);
    if (m.ok) {
      json.key("cycles_per_op").fixed(m.cycles_per_op, 1);
      json.key("modeled_cycles_per_op").fixed(m.modeled_cycles_per_op, 1);
      json.key("instructions_per_op").fixed(m.instructions_per_op, 1);
    } else {
      if (m.skipped) json.key("skipped").value(true);
      json.key(m.skipped ? "reason" : "error").value(m.error);
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  if (!write_file(out / "results.csv", csv.str()) ||
      !write_file(out / "results.json", json.str() + "\n")) {
    return fail(kNoInput, "cannot write the combined results under " + out.string());
  }
  if (!opts->quiet) {
    std::cerr << "vmlab sweep: " << all.size() << " cells, " << (out / "results.csv").string()
              << "\n";
  }
  return status;
}

}  // namespace vmlab::cli
