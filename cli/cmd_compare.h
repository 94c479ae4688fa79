// `vmlab compare`: every workload in every requested mode, cycles and events per
// operation side by side (docs/cli.md).
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_compare(const std::vector<std::string>& args);

}  // namespace vmlab::cli
