#include "production/internal/json_message.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <limits>
#include <string>

#include <google/protobuf/descriptor.h>

#include "base/key_path.h"
#include "production/import.h"
#include "production/internal/json_value.h"

namespace qsim::production::internal {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Value = JsonValue;
using Kind = JsonValue::Kind;

// A short rendering of a JSON value for messages.
std::string Show(const Value& v) {
  switch (v.kind) {
    case Kind::kString:
    case Kind::kNumber: {
      std::string s = v.text;
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return v.kind == Kind::kString ? "\"" + s + "\"" : s;
    }
    case Kind::kBool: return v.boolean ? "true" : "false";
    case Kind::kObject: return "an object";
    case Kind::kArray: return "a list";
    default: return "null";
  }
}

Status Bad(const std::string& path, const std::string& message) {
  return InvalidArgument("field \"" + path + "\": " + message);
}

// An integer in [lo, hi], written as a JSON number or a string of digits.
Status Integer(const Value& v, const std::string& path, int64_t lo, int64_t hi, int64_t* out) {
  if (v.kind == Kind::kNumber && v.text.find_first_of(".eE") != std::string::npos) {
    const double d = v.number;
    if (!std::isfinite(d) || d != std::floor(d) || d < -9007199254740992.0 || d > 9007199254740992.0) {
      return Bad(path, "expected an integer, got " + Show(v));
    }
    *out = static_cast<int64_t>(d);
  } else if (v.kind == Kind::kString || v.kind == Kind::kNumber) {
    const std::string& s = v.text;
    size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
    if (i == s.size() || s.size() > 20) return Bad(path, "expected an integer, got " + Show(v));
    for (size_t j = i; j < s.size(); ++j) {
      if (s[j] < '0' || s[j] > '9') return Bad(path, "expected an integer, got " + Show(v));
    }
    errno = 0;
    long long parsed = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == ERANGE) return Bad(path, "integer " + Show(v) + " is out of range");
    *out = parsed;
  } else {
    return Bad(path, "expected an integer, got " + Show(v));
  }
  if (*out < lo || *out > hi) return Bad(path, "integer " + Show(v) + " is out of range");
  return Status::Ok();
}

Status Number(const Value& v, const std::string& path, bool single, double* out) {
  if (v.kind != Kind::kNumber) return Bad(path, "expected a number, got " + Show(v));
  *out = v.number;
  if (!std::isfinite(*out) || (single && std::fabs(*out) > std::numeric_limits<float>::max())) {
    return Bad(path, "number " + Show(v) + " is out of range");
  }
  return Status::Ok();
}

Status Fill(const Value& object, const std::string& path, Message* message, std::vector<UnknownEnum>* unknown);

// google.protobuf.Timestamp and Duration, written as strings.
Status WellKnown(const Value& v, const std::string& path, Message* message) {
  const std::string& type = message->GetDescriptor()->full_name();
  if (v.kind != Kind::kString) return Bad(path, "expected a time string, got " + Show(v));
  const Descriptor* d = message->GetDescriptor();
  const Reflection* r = message->GetReflection();
  int64_t us = 0;
  if (type == "google.protobuf.Timestamp") {
    StatusOr<int64_t> t = ParseRfc3339(v.text);
    if (!t.ok()) return Bad(path, t.status().message());
    us = *t;
  } else {
    const std::string& s = v.text;
    char* end = nullptr;
    double seconds = std::strtod(s.c_str(), &end);
    if (s.empty() || s.back() != 's' || end != s.c_str() + s.size() - 1 || !std::isfinite(seconds) ||
        std::fabs(seconds) > 3.15e11) {
      return Bad(path, "expected a duration such as \"300s\", got " + Show(v));
    }
    us = std::llround(seconds * 1e6);
  }
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  r->SetInt64(message, d->FindFieldByName("seconds"), secs);
  r->SetInt32(message, d->FindFieldByName("nanos"), static_cast<int32_t>((us - secs * 1000000) * 1000));
  return Status::Ok();
}

Status SubMessage(const Value& v, const std::string& path, Message* sub, std::vector<UnknownEnum>* unknown) {
  const std::string& type = sub->GetDescriptor()->full_name();
  if (type == "google.protobuf.Timestamp" || type == "google.protobuf.Duration") return WellKnown(v, path, sub);
  if (v.kind != Kind::kObject) return Bad(path, "expected an object, got " + Show(v));
  return Fill(v, path, sub, unknown);
}

// One scalar (or message) value of `field`: set, or added when repeated.
Status Scalar(const Value& v, const std::string& path, const FieldDescriptor* f, Message* m,
              std::vector<UnknownEnum>* unknown) {
  const Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  int64_t i = 0;
  double d = 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (v.kind != Kind::kString) return Bad(path, "expected a string, got " + Show(v));
      rep ? r->AddString(m, f, v.text) : r->SetString(m, f, v.text);
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_BOOL:
      if (v.kind != Kind::kBool) return Bad(path, "expected true or false, got " + Show(v));
      rep ? r->AddBool(m, f, v.boolean) : r->SetBool(m, f, v.boolean);
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_INT32:
      if (Status s = Integer(v, path, INT32_MIN, INT32_MAX, &i); !s.ok()) return s;
      rep ? r->AddInt32(m, f, static_cast<int32_t>(i)) : r->SetInt32(m, f, static_cast<int32_t>(i));
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_INT64:
      if (Status s = Integer(v, path, INT64_MIN, INT64_MAX, &i); !s.ok()) return s;
      rep ? r->AddInt64(m, f, i) : r->SetInt64(m, f, i);
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_FLOAT:
      if (Status s = Number(v, path, true, &d); !s.ok()) return s;
      rep ? r->AddFloat(m, f, static_cast<float>(d)) : r->SetFloat(m, f, static_cast<float>(d));
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_DOUBLE:
      if (Status s = Number(v, path, false, &d); !s.ok()) return s;
      rep ? r->AddDouble(m, f, d) : r->SetDouble(m, f, d);
      return Status::Ok();
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = 0;
      if (v.kind == Kind::kString) {
        const auto* e = f->enum_type()->FindValueByName(v.text);
        if (e != nullptr) number = e->number();
        else unknown->push_back({path, v.text});
      } else if (Status s = Integer(v, path, INT32_MIN, INT32_MAX, &i); s.ok()) {
        if (f->enum_type()->FindValueByNumber(static_cast<int>(i)) != nullptr) number = static_cast<int>(i);
        else unknown->push_back({path, std::to_string(i)});
      } else {
        return Bad(path, "expected an enum name, got " + Show(v));
      }
      rep ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
      return Status::Ok();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return SubMessage(v, path, rep ? r->AddMessage(m, f) : r->MutableMessage(m, f), unknown);
    default:
      return Bad(path, "has a type this reader does not handle");
  }
}

Status MapField(const Value& v, const std::string& path, const FieldDescriptor* f, Message* m,
                std::vector<UnknownEnum>* unknown) {
  if (v.kind != Kind::kObject) return Bad(path, "expected an object, got " + Show(v));
  const FieldDescriptor* key_field = f->message_type()->FindFieldByName("key");
  const FieldDescriptor* value_field = f->message_type()->FindFieldByName("value");
  for (const auto& [key, value] : v.members) {
    Message* entry = m->GetReflection()->AddMessage(m, f);
    const std::string entry_path = path + "[\"" + key + "\"]";
    if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      entry->GetReflection()->SetString(entry, key_field, key);
    } else {
      return Bad(entry_path, "map keys other than strings are not read");
    }
    if (Status s = Scalar(value, entry_path, value_field, entry, unknown); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Fill(const Value& object, const std::string& path, Message* message, std::vector<UnknownEnum>* unknown) {
  const Descriptor* d = message->GetDescriptor();
  // Keys are visited sorted, so the first error is the same whatever the
  // text's order, and a repeated key is next to its twin.
  std::vector<const JsonMember*> members;
  for (const auto& m : object.members) members.push_back(&m);
  std::stable_sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& [key, v] = *members[i];
    const std::string field_path = JoinKey(path, key);
    if (i > 0 && members[i - 1]->first == key) return Bad(field_path, "appears twice");
    const FieldDescriptor* f = d->FindFieldByName(key);
    if (f == nullptr) return Bad(field_path, "not a field of " + d->name());
    if (v.kind == Kind::kNull) continue;
    if (f->is_map()) {
      if (Status s = MapField(v, field_path, f, message, unknown); !s.ok()) return s;
    } else if (f->is_repeated()) {
      if (v.kind != Kind::kArray) return Bad(field_path, "expected a list, got " + Show(v));
      for (size_t j = 0; j < v.items.size(); ++j) {
        const std::string item = field_path + "[" + std::to_string(j) + "]";
        if (Status s = Scalar(v.items[j], item, f, message, unknown); !s.ok()) return s;
      }
    } else if (f->containing_oneof() != nullptr &&
               message->GetReflection()->HasOneof(*message, f->containing_oneof())) {
      return Bad(field_path, "a second member of oneof \"" + f->containing_oneof()->name() + "\"");
    } else if (Status s = Scalar(v, field_path, f, message, unknown); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace

Status JsonToMessage(std::string_view text, Message* message, std::vector<UnknownEnum>* unknown) {
  StatusOr<Value> root = ParseJson(text, kMaxJsonNesting);
  if (!root.ok()) return root.status();
  if (root->kind != Kind::kObject) return InvalidArgument("not a JSON object but " + Show(*root));
  return Fill(*root, "", message, unknown);
}

}  // namespace qsim::production::internal
