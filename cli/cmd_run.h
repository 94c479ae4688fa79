// `vmlab run`: boot one kernel in one mode, optionally writing config.json, stats.json
// and the event traces (docs/cli.md, docs/trace-format.md).
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_run(const std::vector<std::string>& args);

}  // namespace vmlab::cli
