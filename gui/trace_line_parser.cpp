#include "gui/trace_line_parser.h"

#include <charconv>
#include <cstring>
#include <optional>

namespace vmlab::gui {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  // A string without escapes (every key and name vmlab writes is plain ASCII).
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') return false;
      ++pos_;
    }
    if (pos_ >= s_.size()) return false;
    out = s_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  bool number(uint64_t& out) {
    skip_space();
    const char* begin = s_.data() + pos_;
    const char* end = s_.data() + s_.size();
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || ptr == begin) return false;
    pos_ += static_cast<size_t>(ptr - begin);
    return true;
  }
  // Any JSON number (the microsecond "ts" has a fraction), skipped.
  bool skip_number() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::strchr("0123456789.eE+-", s_[pos_]) != nullptr)) ++pos_;
    return pos_ > start;
  }
  bool at_end() {
    skip_space();
    return pos_ == s_.size();
  }
  size_t column() const { return pos_ + 1; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool fail(std::string& error, const Scanner& s, const char* what) {
  error = std::string(what) + " at column " + std::to_string(s.column());
  return false;
}

}  // namespace

bool parse_trace_line(std::string_view line, vmm::Event& event, std::string& error) {
  Scanner s(line);
  event = vmm::Event{};
  bool have_seq = false, have_cycle = false, have_kind = false, have_eip = false;
  bool have_cpl = false, have_charged = false, have_args = false;
  std::string_view args_kind;
  uint64_t kind_id = 0;
  // Args are matched to fields by name once the kind is known; they may come first.
  std::array<std::pair<std::string_view, uint64_t>, 4> args{};
  size_t nargs = 0;
  if (!s.eat('{')) return fail(error, s, "expected '{'");
  for (bool first = true; !s.eat('}'); first = false) {
    if (!first && !s.eat(',')) return fail(error, s, "expected ',' or '}'");
    std::string_view key;
    if (!s.string(key)) return fail(error, s, "expected a field name");
    if (!s.eat(':')) return fail(error, s, "expected ':'");
    uint64_t value = 0;
    std::string_view text;
    if (key == "kind" || key == "mode") {
      if (!s.string(text)) return fail(error, s, "expected a string");
      if (key == "kind") args_kind = text;
    } else if (key == "args") {
      if (!s.eat('{')) return fail(error, s, "expected '{' for args");
      for (bool afirst = true; !s.eat('}'); afirst = false) {
        if (!afirst && !s.eat(',')) return fail(error, s, "expected ',' or '}' in args");
        std::string_view name;
        uint64_t v = 0;
        if (!s.string(name) || !s.eat(':') || !s.number(v)) {
          return fail(error, s, "expected \"name\":integer in args");
        }
        if (nargs == args.size()) return fail(error, s, "more than four args");
        if (v > 0xFFFFFFFFu) return fail(error, s, "arg above 32 bits");
        args[nargs++] = {name, v};
      }
      have_args = true;
    } else {
      if (!s.number(value)) return fail(error, s, "expected an unsigned integer");
      if (key == "seq") {
        event.seq = value;
        have_seq = true;
      } else if (key == "cycle") {
        event.cycle = value;
        have_cycle = true;
      } else if (key == "kind_id") {
        kind_id = value;
        have_kind = true;
      } else if (key == "eip") {
        if (value > 0xFFFFFFFFu) return fail(error, s, "eip above 32 bits");
        event.eip = static_cast<uint32_t>(value);
        have_eip = true;
      } else if (key == "cpl") {
        if (value > 3) return fail(error, s, "cpl above 3");
        event.cpl = static_cast<uint8_t>(value);
        have_cpl = true;
      } else if (key == "charged") {
        event.charged = value;
        have_charged = true;
      }
      // Unknown numeric fields are tolerated: the format may grow.
    }
  }
  if (!s.at_end()) return fail(error, s, "text after the object");
  if (!(have_seq && have_cycle && have_kind && have_eip && have_cpl && have_charged && have_args)) {
    error = "missing one of seq, cycle, kind_id, eip, cpl, charged, args";
    return false;
  }
  if (kind_id == 0 || kind_id >= vmm::kNumEventKinds) {
    error = "unknown kind_id " + std::to_string(kind_id);
    return false;
  }
  event.kind = static_cast<vmm::EventKind>(kind_id);
  if (!args_kind.empty() && vmm::event_kind_name(event.kind) != args_kind) {
    error =
        "kind \"" + std::string(args_kind) + "\" does not match kind_id " + std::to_string(kind_id);
    return false;
  }
  const auto& fields = vmm::kEventKindInfo[kind_id].fields;
  for (size_t a = 0; a < nargs; ++a) {
    bool known = false;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f] != nullptr && args[a].first == fields[f]) {
        event.payload[f] = static_cast<uint32_t>(args[a].second);
        known = true;
      }
    }
    if (!known) {
      error = "arg \"" + std::string(args[a].first) + "\" is not a field of " +
              std::string(vmm::event_kind_name(event.kind));
      return false;
    }
  }
  return true;
}

namespace {

// The kind whose name vmlab gives it (event_kind_name), or none.
std::optional<vmm::EventKind> kind_named(std::string_view name) {
  for (vmm::EventKind k : vmm::all_event_kinds()) {
    if (vmm::event_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

ChromeLine chrome_fail(std::string& error, const Scanner& s, const char* what) {
  fail(error, s, what);
  return ChromeLine::kError;
}

// "0x0010ABCD" (trace.json writes EIPs in hex).
bool parse_hex32(std::string_view text, uint64_t& out) {
  if (text.size() < 3 || text.size() > 10 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return false;
  out = 0;
  for (const char c : text.substr(2)) {
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return false;
    out = out << 4 | static_cast<uint64_t>(d);
  }
  return true;
}

}  // namespace

ChromeLine parse_chrome_trace_line(std::string_view line, vmm::Event& event, std::string& error) {
  // The separator after the object belongs to the line.
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  if (!line.empty() && line.back() == ',') line.remove_suffix(1);
  Scanner s(line);
  event = vmm::Event{};
  std::string_view name, phase;
  bool have_seq = false, have_cycle = false, have_eip = false, have_cpl = false;
  bool have_charged = false, have_args = false;
  std::array<std::pair<std::string_view, uint64_t>, 4> payload{};
  size_t npayload = 0;
  if (!s.eat('{')) return chrome_fail(error, s, "expected '{'");
  for (bool first = true; !s.eat('}'); first = false) {
    if (!first && !s.eat(',')) return chrome_fail(error, s, "expected ',' or '}'");
    std::string_view key;
    if (!s.string(key)) return chrome_fail(error, s, "expected a field name");
    if (!s.eat(':')) return chrome_fail(error, s, "expected ':'");
    std::string_view text;
    if (key == "name" || key == "cat" || key == "ph" || key == "s") {
      if (!s.string(text)) return chrome_fail(error, s, "expected a string");
      if (key == "name") name = text;
      if (key == "ph") phase = text;
    } else if (key == "args") {
      if (!s.eat('{')) return chrome_fail(error, s, "expected '{' for args");
      for (bool afirst = true; !s.eat('}'); afirst = false) {
        if (!afirst && !s.eat(',')) return chrome_fail(error, s, "expected ',' or '}' in args");
        std::string_view arg;
        if (!s.string(arg) || !s.eat(':')) return chrome_fail(error, s, "expected an arg name");
        if (s.peek('"')) {  // a metadata event's name, a payload's name, or the hex EIP
          if (!s.string(text)) return chrome_fail(error, s, "expected a string");
          if (arg == "eip") {
            uint64_t eip = 0;
            if (!parse_hex32(text, eip)) return chrome_fail(error, s, "eip is not 0x and hex");
            event.eip = static_cast<uint32_t>(eip);
            have_eip = true;
          }
          continue;
        }
        uint64_t v = 0;
        if (!s.number(v)) return chrome_fail(error, s, "expected an unsigned integer in args");
        if (arg == "seq") {
          event.seq = v;
          have_seq = true;
        } else if (arg == "cycle") {
          event.cycle = v;
          have_cycle = true;
        } else if (arg == "eip") {
          if (v > 0xFFFFFFFFu) return chrome_fail(error, s, "eip above 32 bits");
          event.eip = static_cast<uint32_t>(v);
          have_eip = true;
        } else if (arg == "cpl") {
          if (v > 3) return chrome_fail(error, s, "cpl above 3");
          event.cpl = static_cast<uint8_t>(v);
          have_cpl = true;
        } else if (arg == "charged") {
          event.charged = v;
          have_charged = true;
        } else {
          if (npayload == payload.size()) return chrome_fail(error, s, "more than four args");
          if (v > 0xFFFFFFFFu) return chrome_fail(error, s, "arg above 32 bits");
          payload[npayload++] = {arg, v};
        }
      }
      have_args = true;
    } else if (!s.skip_number()) {  // ts, pid, tid, and whatever the format may add
      return chrome_fail(error, s, "expected a number");
    }
  }
  if (!s.at_end()) return chrome_fail(error, s, "text after the object");
  // Track names and the per-class cycle counters carry no event of their own.
  if (phase == "M" || phase == "C") return ChromeLine::kMetadata;
  if (phase != "X" && phase != "i") {
    error = "phase \"" + std::string(phase) + "\" is not one vmlab writes (X, i, C or M)";
    return ChromeLine::kError;
  }
  if (!(have_seq && have_cycle && have_eip && have_cpl && have_charged && have_args)) {
    error = "missing one of args.seq, cycle, eip, cpl, charged";
    return ChromeLine::kError;
  }
  const auto kind = kind_named(name);
  if (!kind) {
    error = "unknown event name \"" + std::string(name) + "\"";
    return ChromeLine::kError;
  }
  event.kind = *kind;
  const auto& fields = vmm::kEventKindInfo[vmm::index_of(*kind)].fields;
  for (size_t a = 0; a < npayload; ++a) {
    bool known = false;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f] != nullptr && payload[a].first == fields[f]) {
        event.payload[f] = static_cast<uint32_t>(payload[a].second);
        known = true;
      }
    }
    if (!known) {
      error =
          "arg \"" + std::string(payload[a].first) + "\" is not a field of " + std::string(name);
      return ChromeLine::kError;
    }
  }
  return ChromeLine::kEvent;
}

}  // namespace vmlab::gui
