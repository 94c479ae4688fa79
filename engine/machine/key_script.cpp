#include "engine/machine/key_script.h"

#include <cctype>
#include <string>

namespace vmlab::machine {

namespace {

// The unshifted character on the same key as each shifted one (US layout).
struct Shifted {
  char shifted;
  char base;
};
constexpr Shifted kShifted[] = {
    {'!', '1'},  {'@', '2'}, {'#', '3'},  {'$', '4'}, {'%', '5'}, {'^', '6'}, {'&', '7'},
    {'*', '8'},  {'(', '9'}, {')', '0'},  {'_', '-'}, {'+', '='}, {'{', '['}, {'}', ']'},
    {'|', '\\'}, {':', ';'}, {'"', '\''}, {'<', ','}, {'>', '.'}, {'?', '/'}, {'~', '`'},
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<KeyAction>> parse() {
    while (pos_ < text_.size()) {
      const size_t at = pos_;
      const char c = text_[pos_];
      if (c == '<') {
        const size_t close = text_.find('>', pos_ + 1);
        if (close == std::string_view::npos) return error(at, "'<' without a closing '>'");
        if (auto r = tag(at, text_.substr(pos_ + 1, close - pos_ - 1)); !r) return r.error();
        pos_ = close + 1;
      } else {
        if (auto r = character(at, c); !r) return r.error();
        ++pos_;
      }
      if (actions_.size() > kMaxKeyActions) {
        return error(at, "more than " + std::to_string(kMaxKeyActions) + " key events");
      }
    }
    if (wait_ != 0) {
      return error(text_.size(), "a <wait> at the end of the script, with no key after it");
    }
    return std::move(actions_);
  }

 private:
  Error error(size_t at, const std::string& what) const {
    return Error{"key script, position " + std::to_string(at) + ": " + what};
  }

  void emit(KeyId key, bool release) {
    actions_.push_back({key, release, wait_});
    wait_ = 0;
  }
  void tap(KeyId key) {
    emit(key, false);
    emit(key, true);
  }
  KeyId named(std::string_view n) const { return *find_key(n); }

  // A key by name or by its character, with the Shift it needs (a shifted symbol).
  std::optional<std::pair<KeyId, bool>> lookup(std::string_view name) const {
    std::string lower(name);
    if (lower.size() == 1) {
      const char c = lower[0];
      if (c == ' ') return std::pair{named("space"), false};
      if (c == '\n') return std::pair{named("enter"), false};
      if (c == '\t') return std::pair{named("tab"), false};
      if (std::isupper(static_cast<unsigned char>(c))) {
        return std::pair{named(std::string(1, static_cast<char>(std::tolower(c)))), true};
      }
      for (const Shifted& s : kShifted) {
        if (s.shifted == c) return std::pair{named(std::string(1, s.base)), true};
      }
      if (auto k = find_key(lower)) return std::pair{*k, false};
      return std::nullopt;
    }
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "lt") return std::pair{named(","), true};
    if (lower == "gt") return std::pair{named("."), true};
    if (auto k = find_key(lower)) return std::pair{*k, false};
    return std::nullopt;
  }

  Result<void> character(size_t at, char c) {
    if (c == '\r') return {};  // a file written on Windows: its CR LF is one Enter
    auto k = lookup(std::string_view(&c, 1));
    if (!k) {
      return error(at, "no key types the byte 0x" + hex(static_cast<uint8_t>(c)) +
                           " (name keys in <...>, e.g. <enter>)");
    }
    press_with(k->first, k->second ? std::vector<KeyId>{named("shift")} : std::vector<KeyId>{});
    return {};
  }

  static std::string hex(uint8_t b) {
    static const char digits[] = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }

  void press_with(KeyId key, const std::vector<KeyId>& mods) {
    for (KeyId m : mods) emit(m, false);
    tap(key);
    for (auto it = mods.rbegin(); it != mods.rend(); ++it) emit(*it, true);
  }

  static bool is_modifier(std::string_view n) {
    return n == "shift" || n == "ctrl" || n == "alt" || n == "rshift" || n == "rctrl" ||
           n == "ralt";
  }

  Result<void> tag(size_t at, std::string_view body) {
    if (body.empty()) return error(at, "an empty <>");
    std::string lower(body);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.rfind("wait", 0) == 0 && lower.size() > 4 && lower[4] == ' ') {
      return wait(at, std::string_view(lower).substr(5));
    }
    if (body[0] == '/' || (body[0] == '-' && body.size() > 1) ||
        (body[0] == '+' && body.size() > 1)) {
      auto k = lookup(body.substr(1));
      if (!k) return error(at, "unknown key '" + std::string(body.substr(1)) + "'");
      emit(k->first, body[0] != '+');
      return {};
    }
    // <S-x>, <C-x>, <A-x>, combined: <C-A-delete>.
    std::vector<KeyId> mods;
    std::string_view rest = body;
    while (rest.size() > 2 && rest[1] == '-') {
      const char m = static_cast<char>(std::toupper(static_cast<unsigned char>(rest[0])));
      if (m == 'S') {
        mods.push_back(named("shift"));
      } else if (m == 'C') {
        mods.push_back(named("ctrl"));
      } else if (m == 'A') {
        mods.push_back(named("alt"));
      } else {
        return error(
            at, "unknown modifier '" + std::string(1, rest[0]) + "-' (S- Shift, C- Ctrl, A- Alt)");
      }
      rest.remove_prefix(2);
    }
    auto k = lookup(rest);
    if (!k) return error(at, "unknown key '" + std::string(rest) + "'");
    if (k->second) mods.push_back(named("shift"));
    if (mods.empty() && is_modifier(lower)) {
      emit(k->first, false);  // <shift>: held until </shift>
      return {};
    }
    press_with(k->first, mods);
    return {};
  }

  Result<void> wait(size_t at, std::string_view t) {
    size_t i = 0;
    uint64_t n = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      n = n * 10 + static_cast<uint64_t>(t[i] - '0');
      if (n > kMaxKeyWaitUs) return error(at, "a wait longer than an hour");
      ++i;
    }
    if (i == 0) return error(at, "<wait T> needs a time: 500us, 20ms, 2s");
    const std::string_view unit = t.substr(i);
    uint64_t scale = 0;
    if (unit.empty() || unit == "ms") {
      scale = 1000;
    } else if (unit == "us") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1'000'000;
    } else {
      return error(at, "unknown time unit '" + std::string(unit) + "' (us, ms or s)");
    }
    const uint64_t us = n * scale;
    if (us > kMaxKeyWaitUs || wait_ + us > kMaxKeyWaitUs) {
      return error(at, "a wait longer than an hour");
    }
    wait_ += us;
    return {};
  }

  std::string_view text_;
  size_t pos_ = 0;
  uint64_t wait_ = 0;
  std::vector<KeyAction> actions_;
};

}  // namespace

Result<std::vector<KeyAction>> parse_key_script(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace vmlab::machine
