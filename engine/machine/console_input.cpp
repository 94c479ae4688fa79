#include "engine/machine/console_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace vmlab::machine {

ConsoleInput ConsoleInput::from_string(std::string bytes) {
  ConsoleInput in;
  in.kind_ = Kind::kPreloaded;
  in.bytes_ = std::move(bytes);
  return in;
}

Result<ConsoleInput> ConsoleInput::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    const int err = errno != 0 ? errno : ENOENT;
    return Error{path + ": cannot open the console input file: " + std::strerror(err), err};
  }
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return Error{path + ": cannot read the console input file", EIO};
  return from_string(std::move(bytes));
}

ConsoleInput ConsoleInput::from_stdin() {
  ConsoleInput in;
  in.kind_ = Kind::kStdin;
  return in;
}

void ConsoleInput::read_stdin(int timeout_ms) {
  if (eof_) return;
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[256];
  const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) {
    eof_ = true;
    return;
  }
  // Drop what was consumed, but the last 64 bytes that unread() may give back, so the
  // buffer does not grow without bound.
  const size_t drop = pos_ > 64 ? pos_ - 64 : 0;
  bytes_.erase(0, drop);
  pos_ -= drop;
  bytes_.append(buf, static_cast<size_t>(n));
}

std::optional<uint8_t> ConsoleInput::next() {
  if (kind_ == Kind::kStdin && pos_ >= bytes_.size()) read_stdin(0);
  if (pos_ >= bytes_.size()) return std::nullopt;
  return static_cast<uint8_t>(bytes_[pos_++]);
}

bool ConsoleInput::exhausted() const {
  switch (kind_) {
    case Kind::kNone: return true;
    case Kind::kPreloaded: return pos_ >= bytes_.size();
    case Kind::kStdin: return eof_ && pos_ >= bytes_.size();
  }
  return true;
}

bool ConsoleInput::wait(int timeout_ms) {
  if (kind_ != Kind::kStdin) return pos_ < bytes_.size();
  if (pos_ < bytes_.size()) return true;
  read_stdin(timeout_ms);
  return pos_ < bytes_.size();
}

}  // namespace vmlab::machine
