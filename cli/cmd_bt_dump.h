// vmlab bt-dump: a guest kernel block and its binary translation side by side
// (docs/cli.md, docs/modes/binary-translation.md).
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_bt_dump(const std::vector<std::string>& args);

}  // namespace vmlab::cli
