#include "production/internal/json_value.h"

#include <cmath>
#include <cstdlib>

namespace qsim::production::internal {
namespace {

class Parser {
 public:
  Parser(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  Status Document(JsonValue* out) {
    QSIM_RETURN_IF_ERROR(Value(out, 0));
    Blank();
    if (pos_ != s_.size()) return Error("text after the value");
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgument("not valid JSON at column " + std::to_string(pos_ + 1) + ": " + what);
  }
  void Blank() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status Value(JsonValue* v, size_t depth) {
    Blank();
    if (pos_ >= s_.size()) return Error("a value is missing");
    const char c = s_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= max_depth_) return Error("lists and objects nested deeper than " + std::to_string(max_depth_));
      return c == '{' ? Object(v, depth + 1) : Array(v, depth + 1);
    }
    if (c == '"') {
      v->kind = JsonValue::Kind::kString;
      return String(&v->text);
    }
    if (Literal("true") || Literal("false")) {
      v->kind = JsonValue::Kind::kBool;
      v->boolean = c == 't';
      return Status::Ok();
    }
    if (Literal("null")) {
      v->kind = JsonValue::Kind::kNull;
      return Status::Ok();
    }
    return Number(v);
  }

  Status Object(JsonValue* v, size_t depth) {
    v->kind = JsonValue::Kind::kObject;
    ++pos_;
    Blank();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
    for (;;) {
      Blank();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a \"key\"");
      std::string key;
      QSIM_RETURN_IF_ERROR(String(&key));
      Blank();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':' after a key");
      ++pos_;
      v->members.push_back(JsonMember{std::move(key), JsonValue{}});
      QSIM_RETURN_IF_ERROR(Value(&v->members.back().second, depth));
      Blank();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or '}'");
    }
  }

  Status Array(JsonValue* v, size_t depth) {
    v->kind = JsonValue::Kind::kArray;
    ++pos_;
    Blank();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    for (;;) {
      v->items.emplace_back();
      QSIM_RETURN_IF_ERROR(Value(&v->items.back(), depth));
      Blank();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or ']'");
    }
  }

  static void Utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else return false;
    }
    *cp = v;
    return true;
  }

  Status Escape(std::string* out) {
    if (pos_ >= s_.size()) return Error("an unfinished escape");
    const char e = s_[pos_++];
    switch (e) {
      case '"': case '\\': case '/': *out += e; return Status::Ok();
      case 'b': *out += '\b'; return Status::Ok();
      case 'f': *out += '\f'; return Status::Ok();
      case 'n': *out += '\n'; return Status::Ok();
      case 'r': *out += '\r'; return Status::Ok();
      case 't': *out += '\t'; return Status::Ok();
      case 'u': {
        uint32_t cp = 0, low = 0;
        if (!Hex4(&cp)) return Error("a bad \\u escape");
        if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
          if (!Literal("\\u") || !Hex4(&low) || low < 0xDC00 || low >= 0xE000) return Error("a lone surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return Error("a lone surrogate");
        }
        Utf8(cp, out);
        return Status::Ok();
      }
      default: return Error(std::string("an unknown escape \\") + e);
    }
  }

  Status String(std::string* out) {
    ++pos_;  // the opening quote
    for (;;) {
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\' && static_cast<unsigned char>(s_[pos_]) >= 0x20) {
        ++pos_;
      }
      out->append(s_.data() + start, pos_ - start);
      if (pos_ >= s_.size()) return Error("an unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return Status::Ok();
      if (c != '\\') return Error("a control character in a string");
      QSIM_RETURN_IF_ERROR(Escape(out));
    }
  }

  Status Number(JsonValue* v) {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') ++pos_;
    else if (!digits()) return Error("expected a value");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Error("a number without digits after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return Error("a number without exponent digits");
    }
    v->kind = JsonValue::Kind::kNumber;
    v->text.assign(s_.data() + start, pos_ - start);
    v->number = std::strtod(v->text.c_str(), nullptr);  // +-inf when out of range: the field check says so
    return Status::Ok();
  }

  std::string_view s_;
  size_t max_depth_;
  size_t pos_ = 0;
};

}  // namespace

StatusOr<JsonValue> ParseJson(std::string_view text, size_t max_depth) {
  JsonValue v;
  Parser parser(text, max_depth);
  QSIM_RETURN_IF_ERROR(parser.Document(&v));
  return v;
}

}  // namespace qsim::production::internal
