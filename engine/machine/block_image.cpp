#include "engine/machine/block_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vmlab::machine {

namespace {

Error image_error(const std::string& path, const std::string& why, int code) {
  return Error{path + ": cannot use it as a disk image: " + why, code};
}

}  // namespace

Result<std::unique_ptr<BlockImage>> BlockImage::open(const std::string& path, bool readonly) {
  // Type and permissions first, without opening: a FIFO must not block the open.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return image_error(path, std::strerror(err), err == ENOENT ? ENOENT : EACCES);
  }
  if (S_ISDIR(st.st_mode)) return image_error(path, "it is a directory", EISDIR);
  if (!S_ISREG(st.st_mode)) return image_error(path, "it is not a regular file", ENODEV);
  if ((st.st_mode & (S_IRUSR | S_IRGRP | S_IROTH)) == 0) {
    return image_error(path, "no permission to read it", EACCES);
  }
  const bool write_bits = (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0;
  if (!readonly && !write_bits) {
    return image_error(path, "the file is read-only and the disk was not asked to be", EROFS);
  }
  const int fd = ::open(path.c_str(), (readonly ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (!readonly && (err == EACCES || err == EROFS || err == EPERM)) {
      // Readable but not writable by us: a read-only file for this user.
      if (::access(path.c_str(), R_OK) == 0) {
        return image_error(path, "the file is read-only and the disk was not asked to be", EROFS);
      }
    }
    return image_error(path, std::strerror(err), err == ENOENT ? ENOENT : EACCES);
  }
  struct stat fst {};
  if (::fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {  // replaced between stat and open
    ::close(fd);
    return image_error(path, "it is not a regular file", ENODEV);
  }
  if (fst.st_size <= 0 || fst.st_size % kSectorSize != 0) {
    ::close(fd);
    return image_error(path,
                       "its size, " + std::to_string(fst.st_size) +
                           " bytes, is not a positive multiple of 512 (one sector)",
                       EINVAL);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return std::unique_ptr<BlockImage>(
      new BlockImage(fd, path, static_cast<uint64_t>(fst.st_size) / kSectorSize, readonly));
}

BlockImage::~BlockImage() {
  if (fd_ >= 0) ::close(fd_);
}

bool BlockImage::in_range(uint64_t lba, size_t bytes) const {
  if (bytes % kSectorSize != 0) return false;
  const uint64_t count = bytes / kSectorSize;
  return lba <= sectors_ && count <= sectors_ - lba;
}

bool BlockImage::read(uint64_t lba, std::span<uint8_t> out) {
  if (!in_range(lba, out.size())) return false;
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(lba * kSectorSize + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // an error, or the file shrank under us
    done += static_cast<size_t>(n);
  }
  ++reads_;
  return true;
}

bool BlockImage::write(uint64_t lba, std::span<const uint8_t> data) {
  if (readonly_ || !in_range(lba, data.size())) return false;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                               static_cast<off_t>(lba * kSectorSize + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  ++writes_;
  return true;
}

bool BlockImage::flush() {
  ++flushes_;
  if (readonly_) return true;
  return ::fsync(fd_) == 0;
}

}  // namespace vmlab::machine
