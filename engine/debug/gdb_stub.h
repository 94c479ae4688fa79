// GdbStub: the GDB Remote Serial Protocol (gdb's manual, "Remote Protocol") over one
// connection, answering for a DebugTarget. All-stop, one thread, acknowledgment mode.
//
// Packets: ? g G p P m M X c s C S vCont vCont? Z0-Z2 z0-z2 D k vKill H T qSupported
// (PacketSize, qXfer:features:read for target.xml, vContSupported) qXfer:features:read
// qAttached qC qfThreadInfo qsThreadInfo qRcmd (`monitor`, monitor_commands.h) and
// anything else answered empty ("not supported"), as the protocol asks. 0x03 while the
// guest runs interrupts it. Every byte is untrusted: a bad packet gets `-` or an E reply.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "engine/debug/debug_target.h"
#include "engine/debug/rsp_packet.h"

namespace vmlab::debug {

class GdbStub {
 public:
  // Why serve() returned.
  enum class End : uint8_t {
    kDetached,      // D: the guest runs on without the debugger
    kKilled,        // k or vKill: the run is to end now
    kDisconnected,  // the connection closed or failed: as a detach
    kExited,        // the guest stopped (the machine stopped); gdb was told
    kInterrupted,   // `host_interrupted` said so (SIGINT in the terminal)
  };

  // `fd`: a connected stream socket (not owned). `host_interrupted` is looked at while the
  // stub waits for the debugger and while the guest runs.
  GdbStub(DebugTarget& target, int fd, std::function<bool()> host_interrupted);

  End serve();

  // One packet's payload in, the reply's payload out (may run the guest). Public for tests.
  std::string handle(std::string_view packet);
  bool finished() const { return end_.has_value(); }

 private:
  std::string stop_reply(const StopInfo& stop);
  std::string resume(bool step);
  std::string query(std::string_view packet);
  std::string read_memory(std::string_view args);
  std::string write_memory(std::string_view args, bool binary);
  std::string breakpoint(std::string_view packet, bool insert);
  // `qRcmd`: output goes out as O packets, the reply is OK or an E error.
  std::string monitor(std::string_view hex_command);
  void send_raw(std::string_view bytes);
  void send_packet(std::string_view payload);
  void send_output(std::string_view text);
  // Reads what the socket has; waits up to `timeout_ms`. False: the connection is gone.
  bool pump(int timeout_ms);
  // While the guest runs: whether gdb sent 0x03 (or the connection went away).
  bool poll_interrupt();

  DebugTarget& target_;
  int fd_;
  std::function<bool()> host_interrupted_;
  PacketReader reader_;
  std::deque<RspInput> inputs_;
  std::string last_reply_;
  bool connection_lost_ = false;
  std::optional<End> end_;
};

}  // namespace vmlab::debug
