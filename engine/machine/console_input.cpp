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

ConsoleInput ConsoleInput::from_live(std::shared_ptr<LiveInput> queue) {
  ConsoleInput in;
  in.kind_ = Kind::kLive;
  in.live_ = std::move(queue);
  if (in.live_ == nullptr) in.kind_ = Kind::kNone;
  return in;
}

void ConsoleInput::compact() {
  const size_t drop = pos_ > 64 ? pos_ - 64 : 0;
  bytes_.erase(0, drop);
  pos_ -= drop;
}

void ConsoleInput::take_live() {
  compact();
  live_->take(bytes_);
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
  // Drop what was consumed, so the buffer does not grow without bound.
  compact();
  bytes_.append(buf, static_cast<size_t>(n));
}

std::optional<uint8_t> ConsoleInput::next() {
  if (kind_ == Kind::kStdin && pos_ >= bytes_.size()) read_stdin(0);
  if (kind_ == Kind::kLive && pos_ >= bytes_.size()) take_live();
  if (pos_ >= bytes_.size()) return std::nullopt;
  return static_cast<uint8_t>(bytes_[pos_++]);
}

bool ConsoleInput::exhausted() const {
  switch (kind_) {
    case Kind::kNone: return true;
    case Kind::kPreloaded: return pos_ >= bytes_.size();
    case Kind::kStdin: return eof_ && pos_ >= bytes_.size();
    case Kind::kLive: return pos_ >= bytes_.size() && live_->exhausted();
  }
  return true;
}

bool ConsoleInput::wait(int timeout_ms) {
  if (pos_ < bytes_.size()) return true;
  if (kind_ == Kind::kLive) {
    if (live_->wait(timeout_ms)) take_live();
    return pos_ < bytes_.size();
  }
  if (kind_ != Kind::kStdin) return false;
  read_stdin(timeout_ms);
  return pos_ < bytes_.size();
}

}  // namespace vmlab::machine
