// `monitor` commands (monitor_commands.h).
#include "engine/debug/monitor_commands.h"

#include <charconv>
#include <cstdio>
#include <sstream>
#include <vector>

namespace vmlab::debug {

namespace {

constexpr std::string_view kHelp =
    "vmlab monitor commands (the event taxonomy: docs/trace-format.md):\n"
    "  monitor help                    this list\n"
    "  monitor events N                the last N events recorded (at most 4096)\n"
    "  monitor break exit [REASON]     stop after the next trap / VM exit (of vector or exit "
    "reason REASON)\n"
    "  monitor break hypercall [N]     stop after the next hypercall (number N)\n"
    "  monitor break hidden-fault      stop after the next hidden (shadow) page fault\n"
    "  monitor break true-fault        stop after the next true page fault reflected to the guest\n"
    "  monitor break callout [REASON]  stop after the next BT callout (of reason REASON)\n"
    "  monitor break cr3 [VALUE]       stop after the next CR3 write (of VALUE)\n"
    "  monitor break event KIND [A]    stop after the next event of KIND (payload a = A)\n"
    "  monitor break                   show the armed stop\n"
    "  monitor break off               disarm it\n"
    "  monitor savevm FILE             write the machine as a snapshot file: a new run restored\n"
    "                                  from it goes on from this instruction (docs/gdb.md)\n"
    "  monitor loadvm FILE             make the snapshot's machine this run's machine (gdb\n"
    "                                  stays attached; then `maintenance flush\n"
    "                                  register-cache`, docs/gdb.md)\n"
    "A break is one-shot: it stops at the guest instruction boundary after the event, then\n"
    "`continue` or `stepi` goes on. Numbers are decimal or 0x-hex.\n";

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<uint32_t> number(const std::string& text) {
  uint32_t v = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    first += 2;
    base = 16;
  }
  const auto [ptr, ec] = std::from_chars(first, last, v, base);
  if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
  return v;
}

std::string describe(const EventBreak& b) {
  std::string s = std::string(vmm::kEventKindInfo[vmm::index_of(b.kind)].name);
  if (b.value) {
    const char* field = vmm::kEventKindInfo[vmm::index_of(b.kind)].fields[b.field & 3];
    char buf[64];
    std::snprintf(buf, sizeof buf, " with %s = 0x%x", field ? field : "a", *b.value);
    s += buf;
  }
  return s;
}

std::string events(DebugTarget& target, const std::vector<std::string>& w) {
  size_t n = 20;
  if (w.size() > 2) return "error: usage: monitor events N\n";
  if (w.size() == 2) {
    const auto v = number(w[1]);
    if (!v || *v == 0) return "error: monitor events: N is a positive number\n";
    n = std::min<size_t>(*v, DebugTarget::kEventRing);
  }
  std::string out;
  for (const vmm::Event& e : target.last_events(n)) {
    out += format_event(e, target.vm().machine().cpu().monitor());
    out += '\n';
  }
  if (out.empty()) out = "no events recorded since the debugger attached\n";
  return out;
}

std::string arm(DebugTarget& target, const std::vector<std::string>& w) {
  if (w.size() == 1) {
    const auto& b = target.event_break();
    return b ? "armed: the next " + describe(*b) + "\n" : "no monitor break armed\n";
  }
  const std::string& what = w[1];
  if (what == "off" && w.size() == 2) {
    target.disarm_event_break();
    return "monitor break off\n";
  }
  EventBreak b{vmm::EventKind::trap, std::nullopt, 0};
  size_t value_at = 2;
  if (what == "exit") {
    b.kind = vmm::EventKind::trap;
  } else if (what == "hypercall") {
    b.kind = vmm::EventKind::hypercall;
  } else if (what == "hidden-fault") {
    b.kind = vmm::EventKind::hidden_fault;
  } else if (what == "true-fault") {
    b.kind = vmm::EventKind::true_fault;
  } else if (what == "callout") {
    b.kind = vmm::EventKind::bt_callout;
  } else if (what == "cr3") {
    b.kind = vmm::EventKind::cr3_switch;
    b.field = 1;  // the new value
  } else if (what == "event") {
    if (w.size() < 3) return "error: usage: monitor break event KIND [A]\n";
    const auto kind = vmm::event_kind_from_name(w[2]);
    if (!kind) return "error: monitor break event: unknown event kind '" + w[2] + "'\n";
    b.kind = *kind;
    value_at = 3;
  } else {
    return "error: monitor break: unknown stop '" + what + "' (monitor help lists them)\n";
  }
  if (w.size() > value_at + 1) return "error: monitor break " + what + ": too many arguments\n";
  if (w.size() == value_at + 1) {
    b.value = number(w[value_at]);
    if (!b.value) return "error: monitor break " + what + ": '" + w[value_at] + "' is no number\n";
  }
  target.arm_event_break(b);
  return "armed: the next " + describe(b) + "\n";
}

}  // namespace

std::string run_monitor_command(DebugTarget& target, std::string_view line) {
  const std::vector<std::string> w = words(line);
  if (w.empty() || w[0] == "help") return std::string(kHelp);
  if (w[0] == "events") return events(target, w);
  if (w[0] == "break") return arm(target, w);
  if (w[0] == "savevm") {
    if (w.size() != 2) return "error: monitor savevm takes one FILE\n";
    if (!target.save_vm()) return "error: monitor savevm: this run cannot write snapshots\n";
    return target.save_vm()(w[1]);
  }
  if (w[0] == "loadvm") {
    if (w.size() != 2) return "error: monitor loadvm takes one FILE\n";
    return target.load_vm(w[1]);
  }
  return "error: unknown monitor command '" + w[0] + "' (monitor help lists them)\n";
}

}  // namespace vmlab::debug
