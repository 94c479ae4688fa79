// The command line of one vmlab subcommand, parsed by CLI11 (Debian's libcli11-dev).
//
// Each subcommand declares its options once, here, with their help; `--help` is generated
// from those declarations, so the help cannot drift from what is parsed. What CLI11 leaves
// to the caller is done the same way for every subcommand:
//   - every number goes through a CountOption (cli/options.h): one range, one message;
//   - a file or folder option refuses an empty string;
//   - a flag takes no value (`--npt=3` is an error, not a silent yes);
//   - errors are one line in vmlab's words ("unknown option '--x' (see vmlab run --help)"),
//     and `--` ends the options, as in every Unix tool.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"

namespace vmlab::cli {

class CommandLine {
 public:
  // `usage`: the usage line(s) without the leading "usage: " ("vmlab run [options]
  // KERNEL.elf"); `description` and `footer` are printed before and after the options.
  CommandLine(std::string command, std::string usage, std::string description,
              std::string footer = "");

  // Options are listed under `group` headings in the order they are declared; the first
  // group is "options".
  CommandLine& group(std::string heading);

  // --name VALUE (or --name=VALUE); `names` as CLI11 spells them ("-m,--mode").
  CLI::Option* text(const std::string& names, std::string& target, const std::string& value_name,
                    const std::string& help);
  // As text(), but each occurrence is handed to `take`, which returns "" or the error.
  CLI::Option* each(const std::string& names, const std::string& value_name,
                    const std::string& help, std::function<std::string(const std::string&)> take);
  // A file or folder: refuses an empty value with "--name takes WHAT, not an empty string".
  CLI::Option* path(const std::string& names, std::string& target, const std::string& value_name,
                    const char* what, const std::string& help);
  // A number through its CountOption; `store` receives the checked value.
  CLI::Option* count(const std::string& names, const CountOption& option,
                     const std::string& value_name, const std::string& help,
                     std::function<void(uint64_t)> store);
  // A flag; `set` runs each time it is given.
  CLI::Option* flag(const std::string& names, const std::string& help, std::function<void()> set);
  CLI::Option* flag(const std::string& names, bool& target, const std::string& help);
  // An option taking `n` values per occurrence (repeatable), handed to `take` as a vector.
  CLI::Option* tuple(const std::string& names, int n, const std::string& value_name,
                     const std::string& help,
                     std::function<std::string(const std::vector<std::string>&)> take);
  // The positional arguments (kernel, papers, files): collected in order; the caller checks
  // how many it got.
  void positionals(std::vector<std::string>& target);

  enum class Outcome { kParsed, kHelp, kError };
  // Parses `args` (the arguments after the subcommand's name). kHelp: --help or -h was given
  // (help() has the text); kError: `error` is the one-line message.
  Outcome parse(const std::vector<std::string>& args, std::string& error);
  std::string help() const;
  // parse(), and for a command that ends there: the help on stdout (status 0), or the error
  // on stderr as every vmlab error is written (status 64, kUsage). nullopt: go on.
  std::optional<int> parse_or_status(const std::vector<std::string>& args);

 private:
  std::string command_;
  std::unique_ptr<CLI::App> app_;
  std::string group_ = "options";
};

}  // namespace vmlab::cli
