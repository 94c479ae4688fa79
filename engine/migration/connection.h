// Connection: one TCP connection carrying migration frames (protocol.h), over POSIX
// sockets. Every receive has a deadline (a silent peer is an error, not a hang), a frame's
// declared length is checked against its type's limit before anything is allocated, and a
// send to a closed peer is an error (no SIGPIPE).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/machine/result.h"
#include "engine/migration/protocol.h"

namespace vmlab::migration {

class Connection {
 public:
  // Connects to HOST:PORT (a name or a numeric address).
  static machine::Result<std::unique_ptr<Connection>> connect(const std::string& host,
                                                              uint16_t port, int timeout_ms);
  explicit Connection(int fd, int timeout_ms);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  machine::Result<void> send(FrameType type, std::span<const uint8_t> payload);
  machine::Result<Frame> receive();
  // Closes both directions at once (a fault injection: the peer sees the connection drop).
  void close();
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  machine::Result<void> read_exact(uint8_t* out, size_t n);
  int fd_ = -1;
  int timeout_ms_ = 0;
  uint64_t bytes_sent_ = 0;
};

// A listening socket on 127.0.0.1.
class Listener {
 public:
  // Port 0: a free port, chosen by the system (port() tells which).
  static machine::Result<std::unique_ptr<Listener>> listen(uint16_t port);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();
  uint16_t port() const { return port_; }
  // Waits for one connection (at most `wait_ms`; negative: without end).
  machine::Result<std::unique_ptr<Connection>> accept(int wait_ms, int timeout_ms);

 private:
  Listener(int fd, uint16_t port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace vmlab::migration
