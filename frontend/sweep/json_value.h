// A small JSON reader for the sweep's grid file (RFC 8259 values: objects, arrays,
// strings with escapes, numbers, true/false/null), with the line and column of the first
// error. Bounded: nesting at most 64 deep, so a hostile file cannot exhaust the stack.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vmlab::frontend::sweep {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in file order

  const JsonValue* get(const std::string& key) const;
};

// Parses `text`; on error returns false and sets `error` ("line L, column C: what").
bool parse_json(const std::string& text, JsonValue& out, std::string& error);

}  // namespace vmlab::frontend::sweep
