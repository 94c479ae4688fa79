#include "engine/migration/connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vmlab::migration {
namespace {

machine::Error sys_error(const std::string& what, int err) {
  return machine::Error{what + ": " + std::strerror(err), err};
}

void set_timeouts(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

Connection::Connection(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {
  set_timeouts(fd_, timeout_ms_);
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

machine::Result<std::unique_ptr<Connection>> Connection::connect(const std::string& host,
                                                                 uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return machine::Error{"cannot resolve " + host + ": " + gai_strerror(rc), EHOSTUNREACH};
  }
  int last = ECONNREFUSED;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(found);
      return std::make_unique<Connection>(fd, timeout_ms);
    }
    last = errno;
    ::close(fd);
  }
  freeaddrinfo(found);
  return sys_error("cannot connect to " + host + ":" + service, last);
}

machine::Result<void> Connection::send(FrameType type, std::span<const uint8_t> payload) {
  if (fd_ < 0) return machine::Error{"the migration connection is closed", EPIPE};
  uint8_t header[5];
  header[0] = static_cast<uint8_t>(type);
  const auto len = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) header[1 + i] = static_cast<uint8_t>(len >> (8 * i));
  for (std::span<const uint8_t> part : {std::span<const uint8_t>(header, 5), payload}) {
    size_t done = 0;
    while (done < part.size()) {
      const ssize_t n = ::send(fd_, part.data() + done, part.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sys_error("the migration connection dropped", n < 0 ? errno : EPIPE);
      done += static_cast<size_t>(n);
    }
    bytes_sent_ += part.size();
  }
  return {};
}

machine::Result<void> Connection::read_exact(uint8_t* out, size_t n) {
  if (fd_ < 0) return machine::Error{"the migration connection is closed", EPIPE};
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::recv(fd_, out + done, n - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return machine::Error{
          "the migration peer sent nothing for " + std::to_string(timeout_ms_ / 1000) + " s",
          ETIMEDOUT};
    }
    if (got < 0) return sys_error("the migration connection dropped", errno);
    if (got == 0) return machine::Error{"the migration connection dropped", ECONNRESET};
    done += static_cast<size_t>(got);
  }
  return {};
}

machine::Result<Frame> Connection::receive() {
  uint8_t header[5];
  if (auto r = read_exact(header, sizeof header); !r) return r.error();
  const uint32_t len = uint32_t{header[1]} | uint32_t{header[2]} << 8 | uint32_t{header[3]} << 16 |
                       uint32_t{header[4]} << 24;
  const uint8_t type = header[0];
  if (type < static_cast<uint8_t>(FrameType::kHello) ||
      type > static_cast<uint8_t>(FrameType::kCommit)) {
    return machine::Error{"malformed migration frame: unknown type " + std::to_string(type),
                          EPROTO};
  }
  if (len > max_payload(type)) {
    return machine::Error{std::string("malformed migration frame: ") +
                              frame_name(static_cast<FrameType>(type)) + " of " +
                              std::to_string(len) + " bytes (at most " +
                              std::to_string(max_payload(type)) + ")",
                          EPROTO};
  }
  Frame f;
  f.type = static_cast<FrameType>(type);
  f.payload.resize(len);
  if (len != 0) {
    if (auto r = read_exact(f.payload.data(), len); !r) return r.error();
  }
  return f;
}

void Connection::close() {
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  fd_ = -1;
}

machine::Result<std::unique_ptr<Listener>> Listener::listen(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("cannot create a socket", errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) {
    const int err = errno;
    ::close(fd);
    return sys_error("cannot listen on 127.0.0.1:" + std::to_string(port), err);
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return std::unique_ptr<Listener>(new Listener(fd, ntohs(addr.sin_port)));
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

machine::Result<std::unique_ptr<Connection>> Listener::accept(int wait_ms, int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0 && errno == EINTR) return machine::Error{"interrupted", EINTR};
    if (rc < 0) return sys_error("cannot wait for a connection", errno);
    if (rc == 0) return machine::Error{"no migration source connected", ETIMEDOUT};
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return std::make_unique<Connection>(fd, timeout_ms);
    if (errno != EINTR && errno != ECONNABORTED) return sys_error("accept", errno);
  }
}

}  // namespace vmlab::migration
