// One JSON object into a protobuf message, field by field, so that every
// error names the field it is about. Internal to production/.
//
// Protobuf's own JSON reader stops at the first problem with a message that
// does not always name the field, and it cannot tell "an enum value this
// reader does not know" (which import accepts with a warning) from other
// errors. This reader follows protobuf's JSON mapping with proto field
// names, plus what a BigQuery export writes: null for an absent value, 64-bit
// integers as strings, and "YYYY-MM-DD hh:mm:ss[.ffffff] UTC" timestamps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/message.h>

#include "base/status.h"

namespace qsim::production::internal {

// An enum value the schema does not have, kept for the caller to decide on.
struct UnknownEnum {
  std::string field;  // its path, e.g. "completed_details.reason"
  std::string value;  // as written
};

// No TaskEvent, snapshot or config nests this deep; deeper text is refused
// before parsing (docs/limits.md).
inline constexpr size_t kMaxJsonNesting = 32;

// Fills `message` (which should be clear) from `text`, one JSON object.
// Errors read `field "assigned_details.priority": expected an integer, got
// "high"` or `not a JSON object: ...`. Unknown field names are errors;
// unknown enum values leave the field at 0 and are appended to `unknown`.
Status JsonToMessage(std::string_view text, google::protobuf::Message* message, std::vector<UnknownEnum>* unknown);

}  // namespace qsim::production::internal
