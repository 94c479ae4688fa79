// The version `vmlab --version` prints and config.json records.
#pragma once

namespace vmlab::cli {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace vmlab::cli
