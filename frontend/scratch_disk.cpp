#include "frontend/scratch_disk.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "frontend/diskfs.h"

namespace vmlab::frontend {

machine::Result<std::unique_ptr<ScratchDisk>> ScratchDisk::create(const std::string& dir) {
  return write_new(dir, diskfs::make_empty(kSectors));
}

machine::Result<std::unique_ptr<ScratchDisk>> ScratchDisk::copy_of(const std::string& image,
                                                                   const std::string& dir) {
  std::ifstream f(image, std::ios::binary);
  std::error_code ec;
  if (!f || !std::filesystem::is_regular_file(image, ec)) {
    return machine::Error{"cannot read the disk image " + image, ENOENT};
  }
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f),
                                   std::istreambuf_iterator<char>()};
  if (bytes.empty() || bytes.size() % 512 != 0) {
    return machine::Error{
        "the disk image " + image + " is empty or its size is not a multiple of 512 bytes", EINVAL};
  }
  return write_new(dir, bytes);
}

machine::Result<std::unique_ptr<ScratchDisk>> ScratchDisk::write_new(
    const std::string& dir, const std::vector<uint8_t>& bytes) {
  std::error_code ec;
  const std::filesystem::path folder =
      dir.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(dir);
  if (ec) return machine::Error{"no temporary folder for a scratch disk: " + ec.message(), EIO};
  std::string path = (folder / "vmlab-scratch-XXXXXX.img").string();
  const int fd = ::mkstemps(path.data(), 4);
  if (fd < 0) {
    const int err = errno;
    return machine::Error{
        "cannot make a scratch disk image in " + folder.string() + ": " + std::strerror(err), err};
  }
  auto disk = std::unique_ptr<ScratchDisk>(new ScratchDisk(path));  // removes it from here on
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      return machine::Error{"cannot write the scratch disk " + path + ": " + std::strerror(err),
                            err};
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    return machine::Error{"cannot write the scratch disk " + path + ": " + std::strerror(err), err};
  }
  return disk;
}

ScratchDisk::~ScratchDisk() {
  ::unlink(path_.c_str());
}

}  // namespace vmlab::frontend
