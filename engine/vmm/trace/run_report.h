// RunReport: the files `vmlab run --out DIR` writes, after gem5's m5out: config.json
// (everything the run used) and stats.json (what it measured). Their fields are
// documented in docs/trace-format.md, which a test checks produced files against.
//
// Both files hold only modeled, deterministic figures, except the fields under "host"
// (wall time), so two runs of the same configuration give byte-identical files apart
// from those.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

class RunReport {
 public:
  // What config.json records beyond the Vm's own configuration.
  struct Context {
    std::string vmlab_version;
    std::string kernel_path;
    std::string kernel_sha256;
    uint64_t kernel_bytes = 0;
    std::string source_commit;           // the git commit vmlab was built from
    std::vector<std::string> arguments;  // the command line after the program name
    // The mode's variant by the name `vmlab compare` gives it (trap, trap-npt,
    // trap-classic; the mode's name for the others).
    std::string variant;
    bool trace = false;
    uint64_t trace_limit = 0;
    // Every other file that decides the run: --input, --keys @FILE, --initrd modules (with
    // their SHA-256) and --disk images (path and size only: the run may write them).
    struct File {
      std::string role;  // "input", "keys", "initrd", "disk"
      std::string path;
      std::string sha256;  // empty for a disk
      uint64_t bytes = 0;
      bool readonly = false;  // a disk's
      unsigned index = 0;     // a disk's ATA index
    };
    std::vector<File> files;
  };

  static constexpr const char* kConfigSchema = "vmlab-config/1";
  static constexpr const char* kStatsSchema = "vmlab-stats/1";

  static std::string config_json(const Vm& vm, const Context& context);
  // `variant`: as Context::variant.
  static std::string stats_json(Vm& vm, const machine::RunResult& result,
                                const std::string& variant = "");

  // Writes `text` to `path` (created or truncated).
  static machine::Result<void> write_file(const std::string& path, const std::string& text);
};

}  // namespace vmlab::vmm
