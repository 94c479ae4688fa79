// Command-line parsing for the `vmlab` command: a small, strict parser that turns argv
// into RunOptions or a usage error with a one-line message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::cli {

struct RunOptions {
  std::string mode = "native";
  std::string kernel;
  std::string append;  // the kernel command line after the image path, as with qemu -append
  uint32_t memory_mib = 128;
  uint64_t max_instructions = 0;  // 0: no budget
  uint32_t cpu_mhz = 1000;
  std::string console_file;  // empty: the guest console goes to stdout
  std::string input_file;    // the guest's serial input; empty: none
  bool quiet = false;        // no summary line on stderr
};

// Parses the arguments after `vmlab run`. Returns the options or the error message.
std::optional<RunOptions> parse_run_options(const std::vector<std::string>& args,
                                            std::string& error);

// Parses an unsigned decimal number with an optional k/M/G suffix (powers of 1000).
std::optional<uint64_t> parse_count(const std::string& text);

}  // namespace vmlab::cli
