#include "frontend/sweep/json_value.h"

#include <cstdlib>

namespace vmlab::frontend::sweep {

namespace {

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}

  bool document(JsonValue& out, std::string& error) {
    if (!value(out, 0)) {
      error = where() + ": " + why_;
      return false;
    }
    skip();
    if (pos_ != t_.size()) {
      error = where() + ": text after the JSON value";
      return false;
    }
    return true;
  }

 private:
  bool fail(const char* why) {
    why_ = why;
    return false;
  }
  std::string where() const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < t_.size(); ++i) {
      if (t_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
  }
  void skip() {
    while (pos_ < t_.size() &&
           (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool literal(const char* word) {
    size_t n = 0;
    while (word[n]) ++n;
    if (t_.compare(pos_, n, word) != 0) return fail("not a JSON value");
    pos_ += n;
    return true;
  }
  bool string(std::string& out) {
    ++pos_;  // the opening quote
    while (pos_ < t_.size()) {
      const char c = t_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("a control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= t_.size()) break;
      const char e = t_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (t_.size() - pos_ < 4) return fail("a short \\u escape");
          unsigned v = 0;
          for (int i = 0; i < 4; ++i) {
            const char h = t_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9') {
              v |= static_cast<unsigned>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
              v |= static_cast<unsigned>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
              v |= static_cast<unsigned>(h - 'A' + 10);
            } else {
              return fail("a bad \\u escape");
            }
          }
          // UTF-8 of a code point in the Basic Multilingual Plane (names in a grid are ASCII).
          if (v < 0x80) {
            out += static_cast<char>(v);
          } else if (v < 0x800) {
            out += static_cast<char>(0xC0 | (v >> 6));
            out += static_cast<char>(0x80 | (v & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (v >> 12));
            out += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (v & 0x3F));
          }
          break;
        }
        default: return fail("an unknown escape in a string");
      }
    }
    return fail("a string without its closing quote");
  }
  bool value(JsonValue& out, int depth) {
    if (depth > 64) return fail("nested more than 64 deep");
    skip();
    if (pos_ >= t_.size()) return fail("the file ends where a value was expected");
    const char c = t_[pos_];
    if (c == '{') {
      out.kind = JsonValue::Kind::kObject;
      ++pos_;
      skip();
      if (pos_ < t_.size() && t_[pos_] == '}') {
        ++pos_;
        return true;
      }
      while (true) {
        skip();
        if (pos_ >= t_.size() || t_[pos_] != '"') return fail("a member name (a string) expected");
        std::string key;
        if (!string(key)) return false;
        skip();
        if (pos_ >= t_.size() || t_[pos_] != ':') return fail("':' expected after a member name");
        ++pos_;
        JsonValue v;
        if (!value(v, depth + 1)) return false;
        out.object.emplace_back(std::move(key), std::move(v));
        skip();
        if (pos_ < t_.size() && t_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < t_.size() && t_[pos_] == '}') {
          ++pos_;
          return true;
        }
        return fail("',' or '}' expected in an object");
      }
    }
    if (c == '[') {
      out.kind = JsonValue::Kind::kArray;
      ++pos_;
      skip();
      if (pos_ < t_.size() && t_[pos_] == ']') {
        ++pos_;
        return true;
      }
      while (true) {
        JsonValue v;
        if (!value(v, depth + 1)) return false;
        out.array.push_back(std::move(v));
        skip();
        if (pos_ < t_.size() && t_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < t_.size() && t_[pos_] == ']') {
          ++pos_;
          return true;
        }
        return fail("',' or ']' expected in an array");
      }
    }
    if (c == '"') {
      out.kind = JsonValue::Kind::kString;
      return string(out.string);
    }
    if (c == 't' || c == 'f') {
      out.kind = JsonValue::Kind::kBool;
      out.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out.kind = JsonValue::Kind::kNull;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t start = pos_;
      if (t_[pos_] == '-') ++pos_;
      while (pos_ < t_.size() &&
             ((t_[pos_] >= '0' && t_[pos_] <= '9') || t_[pos_] == '.' || t_[pos_] == 'e' ||
              t_[pos_] == 'E' || t_[pos_] == '+' || t_[pos_] == '-')) {
        ++pos_;
      }
      const std::string text = t_.substr(start, pos_ - start);
      char* end = nullptr;
      out.kind = JsonValue::Kind::kNumber;
      out.number = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return fail("a malformed number");
      return true;
    }
    return fail("not a JSON value");
  }

  const std::string& t_;
  size_t pos_ = 0;
  const char* why_ = "";
};

}  // namespace

const JsonValue* JsonValue::get(const std::string& key) const {
  for (const auto& [k, v] : object) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool parse_json(const std::string& text, JsonValue& out, std::string& error) {
  out = JsonValue{};
  return Parser(text).document(out, error);
}

}  // namespace vmlab::frontend::sweep
