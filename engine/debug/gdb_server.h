// GdbServer: `vmlab run --gdb PORT`. Listens on 127.0.0.1 only (port 0: one the system
// picks, printed by the caller), runs the Vm to its stop and serves one debugger at a
// time (GdbStub): with `wait`, before the first instruction; otherwise the guest runs and a
// debugger that connects stops it where it is, as QEMU's -s does. A debugger that detaches
// or goes away leaves the guest running; the next one may attach.
//
// The run is the same run as without the server: the guest runs in pauseable chunks
// (Vm::run_for, exact: docs/architecture.md, "Front-end seams"), so a run continued to its
// end gives the same console, counts and modeled cycles (tests/gdb).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>

#include "engine/debug/debug_target.h"
#include "engine/machine/result.h"
#include "engine/machine/run_result.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::debug {

class GdbServer {
 public:
  static machine::Result<std::unique_ptr<GdbServer>> listen(uint16_t port);
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  uint16_t port() const { return port_; }
  // `monitor savevm FILE` (DebugTarget::set_save_vm): who writes the snapshot.
  void set_save_vm(DebugTarget::SaveVm save) { save_vm_ = std::move(save); }
  // `monitor loadvm FILE` (DebugTarget::set_load_vm): who builds the snapshot's machine.
  void set_load_vm(DebugTarget::LoadVm load) { load_vm_ = std::move(load); }

  // Runs `vm` to its stop while serving debuggers; `log` gets one line per connection.
  // `host_interrupted` (SIGINT in the terminal): stop waiting and let the run end (the
  // machine is asked to stop). Returns the stop, as Vm::run does, of the machine the run
  // ended with: `vm`, or the last one `monitor loadvm` swapped in (the LoadVm's).
  machine::RunResult run(vmm::Vm& vm, bool wait, const std::function<bool()>& host_interrupted,
                         std::ostream& log);
  // Whether the last run() ended because a debugger sent `k` (or vKill) while the guest was
  // still running: the run is over by request, as QEMU's gdbstub ends QEMU with status 0.
  bool killed() const { return killed_; }

 private:
  GdbServer(int fd, uint16_t port) : listen_fd_(fd), port_(port) {}
  // A connection, waiting up to `timeout_ms` (-1: until one comes or host_interrupted).
  int accept_connection(int timeout_ms, const std::function<bool()>& host_interrupted);

  int listen_fd_;
  uint16_t port_;
  bool killed_ = false;
  DebugTarget::SaveVm save_vm_;
  DebugTarget::LoadVm load_vm_;
};

}  // namespace vmlab::debug
