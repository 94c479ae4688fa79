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
    std::vector<std::string> arguments;  // the command line after the program name
    bool trace = false;
    uint64_t trace_limit = 0;
  };

  static constexpr const char* kConfigSchema = "vmlab-config/1";
  static constexpr const char* kStatsSchema = "vmlab-stats/1";

  static std::string config_json(const Vm& vm, const Context& context);
  static std::string stats_json(Vm& vm, const machine::RunResult& result);

  // Writes `text` to `path` (created or truncated).
  static machine::Result<void> write_file(const std::string& path, const std::string& text);
};

}  // namespace vmlab::vmm
