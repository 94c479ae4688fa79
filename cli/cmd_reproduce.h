// `vmlab reproduce`: published comparisons re-run, paper beside ours (docs/reproduce.md).
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_reproduce(const std::vector<std::string>& args);

}  // namespace vmlab::cli
