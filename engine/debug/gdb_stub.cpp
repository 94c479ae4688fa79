// GdbStub (gdb_stub.h): packet dispatch, run control and the connection's bytes.
#include "engine/debug/gdb_stub.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "engine/debug/monitor_commands.h"
#include "engine/debug/target_description.h"

namespace vmlab::debug {

namespace {

constexpr std::string_view kError = "E01";     // a malformed request
constexpr std::string_view kNoMemory = "E0e";  // EFAULT: unmapped or not the guest's
constexpr int kWaitMs = 100;                   // between looks at host_interrupted

// "ADDR,LEN" (what follows may come after `:`); nothing when malformed.
std::optional<std::pair<uint32_t, uint32_t>> address_length(std::string_view text) {
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto address = parse_hex32(text.substr(0, comma));
  const auto length = parse_hex32(text.substr(comma + 1));
  if (!address || !length) return std::nullopt;
  return std::make_pair(*address, *length);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

GdbStub::GdbStub(DebugTarget& target, int fd, std::function<bool()> host_interrupted)
    : target_(target), fd_(fd), host_interrupted_(std::move(host_interrupted)) {}

// --- The connection ------------------------------------------------------------------------

void GdbStub::send_raw(std::string_view bytes) {
  if (fd_ < 0 || connection_lost_) return;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      connection_lost_ = true;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

void GdbStub::send_packet(std::string_view payload) {
  last_reply_ = frame_packet(payload);
  send_raw(last_reply_);
}

void GdbStub::send_output(std::string_view text) {
  // O packets of at most a few hundred bytes each, well inside gdb's packet buffer.
  for (size_t at = 0; at < text.size(); at += 512) {
    std::string packet = "O";
    packet.append(to_hex(text.substr(at, 512)));
    send_packet(packet);
  }
}

bool GdbStub::pump(int timeout_ms) {
  if (connection_lost_) return false;
  if (fd_ < 0) return true;  // no connection (handle() driven directly): nothing comes
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r < 0) return errno == EINTR;
  if (r == 0) return true;
  uint8_t buffer[4096];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    connection_lost_ = true;
    return false;
  }
  std::vector<RspInput> got;
  reader_.feed(std::span<const uint8_t>(buffer, static_cast<size_t>(n)), got);
  for (auto& in : got) inputs_.push_back(std::move(in));
  return true;
}

bool GdbStub::poll_interrupt() {
  if (host_interrupted_ && host_interrupted_()) return true;
  if (!pump(0)) return true;
  for (auto it = inputs_.begin(); it != inputs_.end(); ++it) {
    if (it->kind == RspInput::kInterrupt) {
      inputs_.erase(it);
      return true;
    }
  }
  return false;
}

GdbStub::End GdbStub::serve() {
  while (!end_) {
    if (host_interrupted_ && host_interrupted_()) return End::kInterrupted;
    if (inputs_.empty() && !pump(kWaitMs)) return End::kDisconnected;
    while (!inputs_.empty() && !end_) {
      RspInput in = std::move(inputs_.front());
      inputs_.pop_front();
      switch (in.kind) {
        case RspInput::kAck: break;
        case RspInput::kNack: send_raw(last_reply_); break;
        case RspInput::kBad: send_raw("-"); break;
        case RspInput::kInterrupt:
          // The guest is stopped already: the stop is its current state.
          send_packet("T02");
          break;
        case RspInput::kPacket: {
          send_raw("+");
          const std::string reply = handle(in.payload);
          if (connection_lost_) return End::kDisconnected;
          send_packet(reply);
          break;
        }
      }
      if (connection_lost_ && !end_) return End::kDisconnected;
    }
  }
  return *end_;
}

// --- Packets -------------------------------------------------------------------------------

std::string GdbStub::stop_reply(const StopInfo& stop) {
  switch (stop.kind) {
    case StopInfo::kExited: {
      end_ = End::kExited;
      const auto& last = target_.vm().last_stop();
      char buf[8];
      if (last && last->exit_value) {
        std::snprintf(buf, sizeof buf, "W%02x", *last->exit_value & 0xFF);
      } else if (last && last->reason == machine::StopReason::kStopRequested) {
        std::snprintf(buf, sizeof buf, "X02");  // ended from the terminal (SIGINT)
      } else {
        std::snprintf(buf, sizeof buf, "X06");  // shutdown, watchdog, ...: as an abort
      }
      return buf;
    }
    case StopInfo::kInterrupt: return "T02";
    case StopInfo::kWatchpoint: {
      char buf[32];
      const char* kind = stop.watch_type == 3   ? "rwatch"
                         : stop.watch_type == 4 ? "awatch"
                                                : "watch";
      std::snprintf(buf, sizeof buf, "T05%s:%x;", kind, stop.address);
      return buf;
    }
    case StopInfo::kMonitor: send_output("vmlab: stopped after " + stop.detail + "\n"); break;
    case StopInfo::kStep:
    case StopInfo::kBreakpoint: break;
  }
  return "T05";
}

std::string GdbStub::resume(bool step) {
  if (target_.exited()) return stop_reply(StopInfo{StopInfo::kExited, 0, {}});
  auto poll = [this] { return poll_interrupt(); };
  const StopInfo stop = step ? target_.step(poll) : target_.resume(poll);
  return stop_reply(stop);
}

std::string GdbStub::read_memory(std::string_view args) {
  const auto al = address_length(args);
  if (!al) return std::string(kError);
  // At most what fits in a reply packet; gdb asks for the rest.
  const uint32_t length = std::min<uint32_t>(al->second, (kMaxPacket - 8) / 2);
  std::vector<uint8_t> bytes(length);
  const size_t got = target_.read_memory(al->first, bytes);
  if (got == 0 && length != 0) return std::string(kNoMemory);
  return to_hex(std::span<const uint8_t>(bytes.data(), got));
}

std::string GdbStub::write_memory(std::string_view args, bool binary) {
  const size_t colon = args.find(':');
  if (colon == std::string_view::npos) return std::string(kError);
  const auto al = address_length(args.substr(0, colon));
  if (!al) return std::string(kError);
  const std::string_view data = args.substr(colon + 1);
  const auto bytes = binary ? unescape_binary(data) : from_hex(data);
  if (!bytes || bytes->size() != al->second) return std::string(kError);
  if (bytes->empty()) return "OK";
  return target_.write_memory(al->first, *bytes) ? "OK" : std::string(kNoMemory);
}

std::string GdbStub::breakpoint(std::string_view packet, bool insert) {
  // Ztype,addr,kind[;cond...]
  if (packet.size() < 4 || packet[2] != ',') return std::string(kError);
  const char type = packet[1];
  if (type < '0' || type > '4') return std::string(kError);
  std::string_view rest = packet.substr(3);
  rest = rest.substr(0, rest.find(';'));
  const auto al = address_length(rest);
  if (!al) return std::string(kError);
  const unsigned t = static_cast<unsigned>(type - '0');
  const bool ok =
      insert ? target_.insert(t, al->first, al->second) : target_.remove(t, al->first, al->second);
  return ok ? "OK" : "E22";  // EINVAL, or no room left
}

std::string GdbStub::monitor(std::string_view hex_command) {
  const auto bytes = from_hex(hex_command);
  if (!bytes) return std::string(kError);
  const std::string line(bytes->begin(), bytes->end());
  const std::string out = run_monitor_command(target_, line);
  // OK even for a command not understood: gdb shows the error text; an E reply would only
  // add a "Protocol error" of its own.
  send_output(out);
  return "OK";
}

std::string GdbStub::query(std::string_view packet) {
  if (starts_with(packet, "qSupported")) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "PacketSize=%zx;qXfer:features:read+;vContSupported+",
                  kMaxPacket);
    return buf;
  }
  if (starts_with(packet, "qXfer:features:read:")) {
    std::string_view rest = packet.substr(20);
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::string(kError);
    if (rest.substr(0, colon) != "target.xml") return "E00";
    const auto al = address_length(rest.substr(colon + 1));
    if (!al) return std::string(kError);
    const std::string_view xml = target_xml();
    if (al->first >= xml.size()) return "l";
    const size_t length = std::min<size_t>({al->second, kMaxPacket - 8, xml.size() - al->first});
    const std::string_view part = xml.substr(al->first, length);
    std::string reply(1, al->first + length >= xml.size() ? 'l' : 'm');
    reply.append(part);
    return reply;
  }
  if (starts_with(packet, "qRcmd,")) return monitor(packet.substr(6));
  if (packet == "qAttached") return "1";
  if (packet == "qC") return "QC1";
  if (packet == "qfThreadInfo") return "m1";
  if (packet == "qsThreadInfo") return "l";
  return "";
}

std::string GdbStub::handle(std::string_view packet) {
  if (packet.empty()) return "";
  const char c = packet[0];
  const std::string_view args = packet.substr(1);
  switch (c) {
    case '?': return target_.exited() ? stop_reply({StopInfo::kExited, 0, {}}) : "T05";
    case 'g': return to_hex(target_.read_registers());
    case 'G': {
      const auto bytes = from_hex(args);
      if (!bytes) return std::string(kError);
      return target_.write_registers(*bytes) ? "OK" : std::string(kError);
    }
    case 'p': {
      const auto n = parse_hex32(args);
      if (!n) return std::string(kError);
      const auto value = target_.read_register(*n);
      return value ? to_hex(*value) : std::string(kError);
    }
    case 'P': {
      const size_t eq = args.find('=');
      if (eq == std::string_view::npos) return std::string(kError);
      const auto n = parse_hex32(args.substr(0, eq));
      const auto bytes = from_hex(args.substr(eq + 1));
      if (!n || !bytes) return std::string(kError);
      return target_.write_register(*n, *bytes) ? "OK" : std::string(kError);
    }
    case 'm': return read_memory(args);
    case 'M': return write_memory(args, false);
    case 'X': return write_memory(args, true);
    case 'c':
    case 'C':
      // An address to resume at is not supported: gdb does not send one for i386.
      if (c == 'c' && !args.empty()) return std::string(kError);
      return resume(false);
    case 's':
    case 'S':
      if (c == 's' && !args.empty()) return std::string(kError);
      return resume(true);
    case 'Z': return breakpoint(packet, true);
    case 'z': return breakpoint(packet, false);
    case 'H': return "OK";
    case 'T': return "OK";
    case 'D':
      target_.clear_breakpoints();
      end_ = End::kDetached;
      return "OK";
    case 'k': end_ = End::kKilled; return "OK";
    case 'q': return query(packet);
    case 'v':
      if (packet == "vCont?") return "vCont;c;C;s;S";
      if (starts_with(packet, "vCont;")) {
        // All-stop with one thread: the first action decides.
        const char action = packet.size() > 6 ? packet[6] : 0;
        if (action == 's' || action == 'S') return resume(true);
        if (action == 'c' || action == 'C') return resume(false);
        return std::string(kError);
      }
      if (starts_with(packet, "vKill")) {
        end_ = End::kKilled;
        return "OK";
      }
      if (packet == "vMustReplyEmpty") return "";
      return "";
    default: return "";
  }
}

}  // namespace vmlab::debug
