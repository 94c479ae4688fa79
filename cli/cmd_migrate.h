#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

// `vmlab migrate-listen PORT [--out DIR] [--console FILE] [-q]` (docs/migration.md).
int cmd_migrate_listen(const std::vector<std::string>& args);

}  // namespace vmlab::cli
