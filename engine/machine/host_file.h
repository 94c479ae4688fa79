// Host files that the user names (a kernel image, a Multiboot module, a cost profile, the
// console input and output): opened without blocking, checked for their type before
// anything is read or written, and read with a bound.
//
// A FIFO would block the open or the first read until some other process writes to it, a
// directory or a character device such as /dev/zero has no end, and /proc files report a
// size of 0 and fail or grow when read. So an input must be a regular file, read whole up
// to `max_bytes`, and an output a regular file (created if missing) or a character device
// such as /dev/null. Errors carry the errno of what went wrong (ENOENT, EACCES, EISDIR,
// ENODEV for a file of another type, EFBIG for one that is too large, EIO, ...): all of
// them mean "this file cannot be read or written", never a bad format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/machine/result.h"

namespace vmlab::machine {

// Reads the regular file `path` whole; `what` names it in messages ("the kernel image").
Result<std::vector<uint8_t>> read_host_file(const std::string& path, const std::string& what,
                                            uint64_t max_bytes);

// Opens `path` for writing, truncated (created if missing): a regular file or a character
// device. The stream is closed with the returned pointer.
Result<std::shared_ptr<std::FILE>> open_host_output(const std::string& path,
                                                    const std::string& what);

}  // namespace vmlab::machine
