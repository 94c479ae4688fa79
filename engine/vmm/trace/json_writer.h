// JsonWriter: a small streaming JSON writer (RFC 8259) for config.json, stats.json and
// the trace files. vmlab takes no JSON library; this is the part of one it needs.
//
// Strings are escaped as the RFC requires: quote, backslash and the control characters
// U+0000-U+001F. Bytes that are not valid UTF-8 (a guest may print anything) are written
// as the Latin-1 character of the same value (\u00XX), so the output is always valid JSON.
// Numbers are integers, or decimal text the caller formatted (deterministic: no
// locale, no shortest-round-trip surprises).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::vmm {

class JsonWriter {
 public:
  // `pretty`: two-space indentation, one member per line (config and stats files);
  // otherwise everything on one line (JSON Lines, Chrome trace events).
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  JsonWriter& begin_object();
  // An object written on one line even in a pretty document ({"id": 1, "count": 0}).
  JsonWriter& begin_inline_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(uint64_t n);
  JsonWriter& value(uint32_t n) { return value(uint64_t{n}); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(int n) { return value(int64_t{n}); }
  JsonWriter& value(bool b);
  // A number with `decimals` digits after the point (fixed notation).
  JsonWriter& fixed(double x, int decimals);
  // A number already written as JSON number text by the caller (e.g. "82.0" from a guest
  // result line, checked by is_json_number).
  JsonWriter& number_text(std::string_view text);
  JsonWriter& null();

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

  // Appends `s` to `out` as a quoted, escaped JSON string.
  static void append_escaped(std::string& out, std::string_view s);
  // True when `text` is a JSON number (RFC 8259, section 6).
  static bool is_json_number(std::string_view text);

 private:
  void before_value();
  void newline();
  JsonWriter& close(char bracket);

  bool pretty_;
  std::string out_;
  // One entry per open container: true until its first member is written.
  std::vector<bool> first_;
  // How many open containers are inline (on one line).
  size_t inline_depth_ = 0;
  std::vector<bool> inline_;
  bool after_key_ = false;
};

}  // namespace vmlab::vmm
