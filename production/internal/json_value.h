// A small JSON reader for import's rows: RFC 8259 text into a tree, an
// error naming the column. Internal to production/. Protobuf's own JSON
// reader (through google.protobuf.Value) took about 35 us a row, most of it
// in its converter machinery; a production log has millions of rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace qsim::production::internal {

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // a string's value, or a number as written (for exact 64-bit integers)
  std::vector<JsonValue> items;                            // array
  std::vector<JsonMember> members;                         // object, in the text's order
};

// An object's member. Not a std::pair: a pair of a type still being defined
// is ill-formed, and clang's libstdc++ checks refuse it.
struct JsonMember {
  std::string first;  // the key
  JsonValue second;   // the value
};

// Parses exactly one JSON value (surrounding blanks allowed). Lists and
// objects nested deeper than `max_depth` are an error, before any deeper
// recursion. Errors read "not valid JSON at column N: ...".
StatusOr<JsonValue> ParseJson(std::string_view text, size_t max_depth);

}  // namespace qsim::production::internal
