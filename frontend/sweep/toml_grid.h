// TOML grids for `vmlab sweep` (docs/sweep.md): a GRID.toml is read with toml11 (Debian's
// libtoml11-dev, TOML v1.0.0) and turned into the JSON form of the same grid, which is what
// the sweep checks, runs and keeps in DIR/grid.json. Keys come out in alphabetical order
// (tables have no order in TOML).
#pragma once

#include <string>

namespace vmlab::frontend::sweep {

// Whether `path` names a TOML grid (it ends in ".toml").
bool is_toml_path(const std::string& path);

// Converts a TOML document to JSON text; on error returns false and sets `error` (with
// toml11's line and column). Bounded: brackets and braces nest at most 64 deep.
bool toml_to_json(const std::string& toml_text, std::string& json_text, std::string& error);

}  // namespace vmlab::frontend::sweep
