#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

// `vmlab snapshot info FILE` and `vmlab snapshot flatten FILE OUT` (docs/snapshots.md).
int cmd_snapshot(const std::vector<std::string>& args);

}  // namespace vmlab::cli
