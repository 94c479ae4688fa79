#include "cli/cmd_lab.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/exit_status.h"

namespace vmlab::cli {

namespace {

constexpr const char* kLabUsage = R"(usage: vmlab lab <command> [options]

The course labs: handouts in labs/NN-name/README.md (docs/labs.md).

commands:
  list                  the labs: number, name, exercise or not, what each covers
  start NN              prepare lab NN's exercise: its reference code becomes a starter
  reset NN              put lab NN's reference code back
  check NN [--hidden] [--answers FILE] [--no-build] [-v]
                        grade lab NN: build, run the guest in the modes the lab names,
                        check console, events and trace, and answers.txt; one line per
                        test, Score: X/Y, exit status 1 when a test fails
  export DIR [--lab NN]...
                        instructors: a student tree with the starters in place, without
                        the reference solutions and the hidden tests
  verify                instructors: every lab's files, markers and reference hashes

The labs come with the source tree: vmlab finds it in $VMLAB_SOURCE_DIR, else where it
was built from. Python 3 runs the graders.
)";

std::filesystem::path self_path() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec);
}

}  // namespace

int cmd_lab(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kLabUsage;
    return args.empty() ? kUsage : 0;
  }
  std::filesystem::path root = VMLAB_SOURCE_DIR;
  if (const char* env = std::getenv("VMLAB_SOURCE_DIR"); env != nullptr && *env != '\0') {
    root = env;
  }
  const std::filesystem::path script = root / "labs" / "lab.py";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(script, ec)) {
    return fail(kNoInput, "the labs are not here: " + script.string() +
                              " does not exist (they come with the source tree; set "
                              "VMLAB_SOURCE_DIR to a checkout)");
  }
  // <build>/cli/vmlab: the build folder the graders rebuild and run from.
  const std::filesystem::path self = self_path();
  const std::filesystem::path build = self.parent_path().parent_path();
  std::vector<std::string> argv = {"python3", script.string(), "--root",  root.string(),
                                   "--build", build.string(),  "--vmlab", self.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::cout.flush();
  execvp("python3", cargv.data());
  return fail(kNoInput, std::string("cannot run python3 (the labs' graders need it): ") +
                            std::strerror(errno));
}

}  // namespace vmlab::cli
