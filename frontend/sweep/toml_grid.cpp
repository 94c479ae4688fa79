#include "frontend/sweep/toml_grid.h"

#include <cmath>
#include <map>
#include <sstream>
#include <toml.hpp>
#include <vector>

#include "engine/vmm/trace/json_writer.h"

namespace vmlab::frontend::sweep {

namespace {

using Value = toml::basic_value<toml::discard_comments, std::map, std::vector>;

constexpr int kMaxDepth = 64;

// The deepest nesting of [ and { outside strings and comments: toml11 parses nested arrays
// and inline tables recursively, so a hostile file must not reach it deeper than this.
int nesting(const std::string& text) {
  int depth = 0, deepest = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (comment) {
      if (c == '\n') comment = false;
    } else if (quote) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      comment = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool emit(const Value& v, vmm::JsonWriter& json, std::string& error) {
  switch (v.type()) {
    case toml::value_t::boolean: json.value(v.as_boolean()); return true;
    case toml::value_t::integer: json.value(static_cast<int64_t>(v.as_integer())); return true;
    case toml::value_t::floating: {
      const double d = v.as_floating();
      if (!std::isfinite(d)) {
        error = "a number that is not finite (inf or nan)";
        return false;
      }
      std::ostringstream s;
      s.precision(17);
      s << d;
      json.number_text(s.str());
      return true;
    }
    case toml::value_t::string: json.value(v.as_string().str); return true;
    case toml::value_t::array:
      json.begin_array();
      for (const Value& e : v.as_array()) {
        if (!emit(e, json, error)) return false;
      }
      json.end_array();
      return true;
    case toml::value_t::table:
      json.begin_object();
      for (const auto& [key, e] : v.as_table()) {
        json.key(key);
        if (!emit(e, json, error)) return false;
      }
      json.end_object();
      return true;
    default: error = "a date or time, which a grid has no use for"; return false;
  }
}

}  // namespace

bool is_toml_path(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".toml") == 0;
}

bool toml_to_json(const std::string& toml_text, std::string& json_text, std::string& error) {
  if (nesting(toml_text) > kMaxDepth) {
    error = "arrays or tables nest more than " + std::to_string(kMaxDepth) + " deep";
    return false;
  }
  Value root;
  try {
    std::istringstream in(toml_text);
    root = toml::parse<toml::discard_comments, std::map, std::vector>(in, "grid");
  } catch (const std::exception& e) {
    // toml11's message names the line and column, with the line shown.
    error = std::string("not valid TOML: ") + e.what();
    return false;
  }
  vmm::JsonWriter json;
  if (!emit(root, json, error)) return false;
  json_text = json.str();
  return true;
}

}  // namespace vmlab::frontend::sweep
