#include "gui/trace_line_parser.h"

#include <charconv>
#include <cstring>

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

}  // namespace vmlab::gui
