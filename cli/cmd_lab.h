// vmlab lab: the course labs (docs/labs.md): list them, start an exercise, grade it. The
// labs and their graders live in the source tree (labs/, Python 3 with the standard
// library); this command finds them and the build folder, then runs labs/lab.py.
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_lab(const std::vector<std::string>& args);

}  // namespace vmlab::cli
