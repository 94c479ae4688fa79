// GdbServer (gdb_server.h): the listening socket and the run around the stub.
#include "engine/debug/gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ostream>

#include "engine/debug/debug_target.h"
#include "engine/debug/gdb_stub.h"

namespace vmlab::debug {

namespace {

// Instructions between looks for a new connection while no debugger is attached.
constexpr uint64_t kChunk = 1u << 16;

}  // namespace

machine::Result<std::unique_ptr<GdbServer>> GdbServer::listen(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return machine::Error{std::string("gdb: cannot open a socket: ") + std::strerror(errno), errno};
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // localhost only
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) {
    const int e = errno;
    ::close(fd);
    return machine::Error{
        "gdb: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e), e};
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return std::unique_ptr<GdbServer>(new GdbServer(fd, ntohs(addr.sin_port)));
}

GdbServer::~GdbServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int GdbServer::accept_connection(int timeout_ms, const std::function<bool()>& host_interrupted) {
  for (;;) {
    if (host_interrupted && host_interrupted()) return -1;
    pollfd p{listen_fd_, POLLIN, 0};
    const int wait = timeout_ms < 0 ? 100 : timeout_ms;
    const int r = ::poll(&p, 1, wait);
    if (r > 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
      }
    }
    if (timeout_ms >= 0) return -1;
  }
}

machine::RunResult GdbServer::run(vmm::Vm& first, bool wait,
                                  const std::function<bool()>& host_interrupted,
                                  std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  DebugTarget target(first);
  target.set_save_vm(save_vm_);
  target.set_load_vm(load_vm_);
  bool killed = false;
  bool interrupted = false;
  auto serve = [&](int fd) {
    log << "gdb: connected\n" << std::flush;
    target.settle();  // bt: the guest may be paused inside a translation
    GdbStub stub(target, fd, host_interrupted);
    const GdbStub::End end = stub.serve();
    ::close(fd);
    switch (end) {
      case GdbStub::End::kDetached: log << "gdb: detached, the guest runs on\n"; break;
      case GdbStub::End::kDisconnected:
        target.clear_breakpoints();
        log << "gdb: connection closed, the guest runs on\n";
        break;
      case GdbStub::End::kKilled: killed = true; break;
      case GdbStub::End::kInterrupted: interrupted = true; break;
      case GdbStub::End::kExited: break;
    }
    log << std::flush;
  };
  if (wait) {
    const int fd = accept_connection(-1, host_interrupted);
    if (fd >= 0) serve(fd);
  }
  // The machine is the target's: `monitor loadvm` may have swapped another in.
  auto vm = [&]() -> vmm::Vm& { return target.vm(); };
  while (!killed && !interrupted && vm().state() != vmm::VmState::kStopped) {
    if (vm().run_for(kChunk) == vmm::VmState::kStopped) break;
    if (host_interrupted && host_interrupted()) break;
    const int fd = accept_connection(0, {});
    if (fd >= 0) serve(fd);
  }
  // SIGINT asked the first machine to stop; a machine loaded since is asked here.
  if (killed || (host_interrupted && host_interrupted())) vm().request_stop();
  // The rest of the run (after a kill or SIGINT: to the end of the slice, where the
  // machine takes the stop request).
  while (vm().state() != vmm::VmState::kStopped) vm().resume();
  machine::RunResult r = *vm().last_stop();
  // A kill after the guest had stopped by itself leaves that stop as it was.
  killed_ = killed && r.reason == machine::StopReason::kStopRequested;
  if (killed_) r.message = "killed by gdb";
  // The wall time of the whole run, waits for the debugger included.
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace vmlab::debug
