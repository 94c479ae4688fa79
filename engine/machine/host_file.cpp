#include "engine/machine/host_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vmlab::machine {

namespace {

Error errno_error(const std::string& path, const std::string& action, int err) {
  return Error{path + ": " + action + ": " + std::strerror(err), err};
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::vector<uint8_t>> read_host_file(const std::string& path, const std::string& what,
                                            uint64_t max_bytes) {
  const std::string reading = "cannot read " + what;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) return errno_error(path, "cannot open " + what, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return errno_error(path, reading, errno);
  if (S_ISDIR(st.st_mode)) return Error{path + ": " + reading + ": it is a directory", EISDIR};
  if (!S_ISREG(st.st_mode)) {
    return Error{path + ": " + reading + ": it is not a regular file", ENODEV};
  }
  const std::string too_large =
      path + ": " + reading + ": it is larger than " + std::to_string(max_bytes) + " bytes";
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return Error{too_large, EFBIG};
  // Regular files under /proc report a size of 0 and may grow while read: read to the end
  // of the file, never more than the bound.
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t have = 0;
  for (;;) {
    if (have == bytes.size()) {
      if (bytes.size() > max_bytes) return Error{too_large, EFBIG};
      // One byte past the bound is enough to tell that the file exceeds it.
      const uint64_t limit = max_bytes == UINT64_MAX ? max_bytes : max_bytes + 1;
      bytes.resize(static_cast<size_t>(std::min<uint64_t>(limit, bytes.size() + 65536)));
    }
    const ssize_t n = ::read(f.fd, bytes.data() + have, bytes.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(path, reading, errno);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > max_bytes) return Error{too_large, EFBIG};
  bytes.resize(have);
  return bytes;
}

Result<std::shared_ptr<std::FILE>> open_host_output(const std::string& path,
                                                    const std::string& what) {
  // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader (with none,
  // the open fails with ENXIO; with one, the type check below refuses it).
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0666)};
  if (f.fd < 0) {
    const int err = errno;
    struct stat st {};
    if (err == ENXIO && ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
      return Error{path + ": cannot write " + what + ": it is neither a regular file nor a device",
                   ENODEV};
    }
    return errno_error(path, "cannot open " + what, err);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return errno_error(path, "cannot write " + what, errno);
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
    return Error{path + ": cannot write " + what + ": it is neither a regular file nor a device",
                 ENODEV};
  }
  // Writes block as usual from here on (a terminal may apply flow control).
  const int flags = ::fcntl(f.fd, F_GETFL);
  if (flags < 0 || ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return errno_error(path, "cannot write " + what, errno);
  }
  std::FILE* stream = ::fdopen(f.fd, "wb");
  if (stream == nullptr) return errno_error(path, "cannot write " + what, errno);
  f.fd = -1;  // the stream owns it now
  return std::shared_ptr<std::FILE>(stream, [](std::FILE* p) { std::fclose(p); });
}

}  // namespace vmlab::machine
