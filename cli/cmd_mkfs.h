// `vmlab mkfs` and `vmlab fsck`: build and check the guest's file system on a raw disk
// image (docs/disk.md, "The file system").
#pragma once

#include <string>
#include <vector>

namespace vmlab::cli {

int cmd_mkfs(const std::vector<std::string>& args);
int cmd_fsck(const std::vector<std::string>& args);

}  // namespace vmlab::cli
