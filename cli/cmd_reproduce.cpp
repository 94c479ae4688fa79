#include "cli/cmd_reproduce.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/machine/multiboot_loader.h"
#include "frontend/cell_runner.h"
#include "frontend/reproduce/evaluate.h"
#include "frontend/reproduce/figures.h"
#include "frontend/reproduce/report.h"
#include "frontend/resources.h"

namespace vmlab::cli {

namespace {

using namespace vmlab::frontend;
using namespace vmlab::frontend::reproduce;

int list_papers() {
  for (const Paper& p : papers()) {
    std::cout << p.id << "\n  " << p.citation << "\n";
    for (const Figure& f : p.figures) std::cout << "    " << f.id << ": " << f.title << "\n";
    std::cout << "    " << p.claims.size() << " claims\n";
  }
  return 0;
}

bool write_file(const std::filesystem::path& path, const std::string& text, std::string& error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    error = "cannot write " + path.string();
    return false;
  }
  return true;
}

}  // namespace

int cmd_reproduce(const std::vector<std::string>& args) {
  std::string error, help;
  const auto opts = parse_reproduce_options(args, error, &help);
  if (!help.empty()) {
    std::cout << help;
    return 0;
  }
  if (!opts) return fail(kUsage, error);
  if (opts->list) return list_papers();

  std::vector<const Paper*> chosen;
  for (const std::string& id : opts->papers) {
    if (id == "all") {
      for (const Paper& p : papers()) chosen.push_back(&p);
      continue;
    }
    const Paper* p = find_paper(id);
    if (p == nullptr) {
      std::string known;
      for (const Paper& k : papers()) known += (known.empty() ? "" : ", ") + k.id;
      return fail(kUsage, "unknown paper '" + id + "' (papers: " + known + ", or all)");
    }
    chosen.push_back(p);
  }
  // A paper named twice (or all and a name) is reproduced once.
  std::vector<const Paper*> papers_once;
  for (const Paper* p : chosen) {
    bool seen = false;
    for (const Paper* q : papers_once) seen = seen || q == p;
    if (!seen) papers_once.push_back(p);
  }

  const std::string kernel = opts->kernel.empty() ? default_guest_kernel() : opts->kernel;
  if (auto image = machine::MultibootLoader::read_kernel_file(kernel); !image) {
    return fail(exit_code_for(image.error()), image.error().message);
  }
  const std::vector<Cell> cells = plan(papers_once);
  CellRunner runner({kernel, 128, 1000, opts->jobs});
  for (const Cell& c : cells) {
    auto profile = load_profile(c.profile, {});
    if (!profile) return fail(exit_code_for(profile.error()), profile.error().message);
    runner.add_profile(c.profile, profile.value());
  }
  std::filesystem::path out_dir;
  if (!opts->out_dir.empty()) {
    out_dir = opts->out_dir;
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec || !std::filesystem::is_directory(out_dir)) {
      return fail(kNoInput, "cannot create the folder " + opts->out_dir);
    }
  }

  CellProgress progress;
  if (!opts->quiet) progress = progress_printer("reproduce");
  const std::vector<Measurement> results = runner.run(cells, progress);
  const std::vector<PaperResult> evaluated = evaluate(papers_once, cells, results);
  print_text(std::cout, evaluated);

  bool all_hold = true;
  for (const PaperResult& pr : evaluated) all_hold = all_hold && pr.all_hold();
  if (!out_dir.empty()) {
    std::vector<std::string> figure_files;
    for (const PaperResult& pr : evaluated) {
      for (const FigureResult& fr : pr.figures) {
        const Drawing chart = draw(fr);
        const std::string svg = fr.figure->id + ".svg";
        if (!write_file(out_dir / svg, to_svg(chart), error)) return fail(kNoInput, error);
        figure_files.push_back(svg);
        if (png_available()) {
          const std::string png = fr.figure->id + ".png";
          if (!write_png(chart, (out_dir / png).string(), error)) return fail(kNoInput, error);
          figure_files.push_back(png);
        }
      }
    }
    std::ostringstream md, json, csv;
    write_markdown(md, evaluated, figure_files);
    write_json(json, evaluated);
    write_csv(csv, evaluated);
    if (!write_file(out_dir / "report.md", md.str(), error) ||
        !write_file(out_dir / "report.json", json.str(), error) ||
        !write_file(out_dir / "results.csv", csv.str(), error)) {
      return fail(kNoInput, error);
    }
  }
  int status = 0;
  for (const Measurement& m : results) {
    if (m.skipped) {
      std::cerr << "vmlab: note: " << m.label << " skipped " << m.workload << ": " << m.error
                << "\n";
    } else if (!m.ok) {
      std::cerr << "vmlab: " << m.label << " " << m.workload << ": " << m.error << "\n";
      status = 1;
    }
  }
  if (!all_hold) {
    std::cerr << "vmlab: reproduce: at least one claim fails (lines marked FAILS)\n";
    status = 1;
  }
  return status;
}

}  // namespace vmlab::cli
