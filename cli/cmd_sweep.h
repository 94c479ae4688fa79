// `vmlab sweep GRID`: a grid of measurements, each cell its own run folder (docs/sweep.md).
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_sweep(const std::vector<std::string>& args);

}  // namespace vmlab::cli
