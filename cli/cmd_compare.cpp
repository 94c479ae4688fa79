#include "cli/cmd_compare.h"

#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/machine/multiboot_loader.h"
#include "frontend/cell_runner.h"
#include "frontend/compare_output.h"
#include "frontend/compare_runner.h"
#include "frontend/resources.h"
#include "frontend/variants.h"
#include "frontend/workloads.h"

namespace vmlab::cli {
namespace {

using namespace vmlab::frontend;

}  // namespace

int cmd_compare(const std::vector<std::string>& args) {
  std::string error, help;
  const auto opts = parse_compare_options(args, error, &help);
  if (!help.empty()) {
    std::cout << help;
    return 0;
  }
  if (!opts) return fail(kUsage, error);

  // Modes: named ones must exist and be implemented; "all" takes the implemented ones.
  std::vector<const Variant*> modes;
  if (opts->all_modes) {
    std::string skipped;
    for (const Variant& v : all_variants()) {
      if (variant_available(v)) {
        modes.push_back(&v);
      } else {
        skipped += (skipped.empty() ? "" : ", ") + std::string(v.name);
      }
    }
    if (!skipped.empty() && !opts->quiet) {
      std::cerr << "vmlab: note: skipping modes not implemented yet: " << skipped << "\n";
    }
  } else {
    std::string missing;
    for (const std::string& name : opts->modes) {
      const Variant* v = find_variant(name);
      if (!v) {
        return fail(kUsage, "unknown mode '" + name + "' (modes: " + variant_names() + ")");
      }
      if (!variant_available(*v)) {
        missing += (missing.empty() ? "" : ", ") + name;
      } else {
        modes.push_back(v);
      }
    }
    if (!missing.empty()) {
      return fail(kNotImplemented,
                  "mode(s) not implemented yet: " + missing + " (--modes all runs those that are)");
    }
  }

  std::vector<std::string> workloads;
  if (opts->workloads.empty()) {
    for (const Workload& w : kWorkloads) workloads.emplace_back(w.name);
  } else {
    for (const std::string& w : opts->workloads) {
      if (find_workload(w) == nullptr) {
        std::string known;
        for (const Workload& k : kWorkloads)
          known += (known.empty() ? "" : ", ") + std::string(k.name);
        return fail(kUsage, "unknown workload '" + w + "' (workloads: " + known + ")");
      }
      workloads.push_back(w);
    }
  }

  auto profile = load_profile(opts->profile, opts->costs);
  if (!profile) return fail(exit_code_for(profile.error()), profile.error().message);
  const std::string kernel = opts->kernel.empty() ? default_guest_kernel() : opts->kernel;
  if (!std::filesystem::exists(kernel)) {
    return fail(kNoInput, "cannot open the guest image " + kernel +
                              (opts->kernel.empty() ? " (build it: cmake --build <build> --target "
                                                      "vmlab_guest, or give --kernel)"
                                                    : ""));
  }
  // A file that exists but cannot be read (a directory, a FIFO, a device) fails once
  // here, with the status of run, rather than once per workload.
  if (auto image = machine::MultibootLoader::read_kernel_file(kernel); !image) {
    return fail(exit_code_for(image.error()), image.error().message);
  }

  CellRunner runner({kernel, opts->memory_mib, opts->cpu_mhz, opts->jobs});
  runner.add_profile(opts->profile, profile.value());
  std::vector<Cell> cells;
  for (const std::string& w : workloads) {
    const uint64_t iters = opts->iters != 0 ? opts->iters : find_workload(w)->default_iters;
    for (const Variant* v : modes) cells.push_back({v, w, iters, opts->profile, {}});
  }
  CellProgress progress;
  if (!opts->quiet) progress = progress_printer("compare");
  const std::vector<Measurement> rows = runner.run(cells, progress);
  int status = 0;
  for (const Measurement& m : rows) {
    if (m.ok) continue;
    if (m.skipped) {  // the guest could not run it here (a disk workload without a disk)
      if (!opts->quiet)
        std::cerr << "vmlab: note: " << m.label << " skipped " << m.workload << ": " << m.error
                  << "\n";
      continue;
    }
    std::cerr << "vmlab: " << m.error << "\n";
    if (status == 0) {
      status = m.failed_run.instructions != 0 ? exit_code_for(m.failed_run) : kBadImage;
    }
  }
  const CompareHeader header{profile.value().name(), kernel};
  if (opts->format == "csv") {
    print_compare_csv(std::cout, rows);
  } else if (opts->format == "json") {
    print_compare_json(std::cout, header, rows);
  } else {
    print_compare_table(std::cout, header, rows);
  }
  return status;
}

}  // namespace vmlab::cli
