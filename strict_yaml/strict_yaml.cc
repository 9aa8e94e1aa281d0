#include "strict_yaml/strict_yaml.h"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

#include "base/key_path.h"

namespace qsim::strict_yaml {
namespace {


// Walks the YAML event stream before it is built into nodes: rejects anchors
// and aliases (an alias bomb expands exponentially in yaml-cpp's node tree),
// more than one document, and a key repeated within one mapping anywhere in
// the file (yaml-cpp silently keeps one of them).
class StrictScan final : public YAML::EventHandler {
 public:
  struct Found {
    YAML::Mark mark;
    std::string path;
    std::string message;
  };
  const std::optional<Found>& found() const { return found_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node(mark, anchor, std::string());
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    Fail(mark, Path(), "YAML aliases (*name) are not allowed in scenarios");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Node(mark, anchor, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Node(mark, anchor, std::nullopt);
    stack_.emplace_back();
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Node(mark, anchor, std::nullopt);
    stack_.emplace_back().map = true;
  }
  void OnMapEnd() override { stack_.pop_back(); }
  // The node event that follows carries the anchor too, and is placed.
  void OnAnchor(const YAML::Mark&, const std::string&) override {}

 private:
  struct Frame {
    bool map = false;
    bool key_next = true;  // map: the next node is a key
    size_t items = 0;      // sequence: children so far
    std::string key;       // map: the key whose value is being read
    std::set<std::string> keys;
  };

  // The key path of the node being read.
  std::string Path() const {
    std::string p;
    for (const Frame& f : stack_) {
      if (f.map) p = JoinKey(p, f.key);
      else if (f.items > 0) p = IndexKey(p, f.items - 1);
    }
    return p;
  }

  void Fail(const YAML::Mark& mark, std::string path, std::string message) {
    if (!found_) found_ = Found{mark, std::move(path), std::move(message)};
  }

  // A node starts; `key_text` is a scalar's text (nullopt for containers).
  void Node(const YAML::Mark& mark, YAML::anchor_t anchor, const std::optional<std::string>& key_text) {
    if (!stack_.empty()) {
      Frame& f = stack_.back();
      if (!f.map) {
        ++f.items;
      } else {
        if (f.key_next) {
          f.key = key_text.value_or("?");
          if (key_text && !f.keys.insert(*key_text).second) Fail(mark, Path(), "duplicate key");
        }
        f.key_next = !f.key_next;
      }
    }
    if (anchor != YAML::NullAnchor) Fail(mark, Path(), "YAML anchors (&name) are not allowed in scenarios");
  }

  std::vector<Frame> stack_;
  std::optional<Found> found_;
};

}  // namespace

Status ErrorAt(const std::string& file, const YAML::Mark& mark, const std::string& path, const std::string& message) {
  std::string loc = file;
  if (mark.line >= 0) loc += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  return InvalidArgument(loc + ": " + (path.empty() ? "" : path + ": ") + message);
}

Status CheckStrictYaml(const std::string& text, const std::string& file) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StrictScan scan;
    parser.HandleNextDocument(scan);
    if (const auto& found = scan.found()) return ErrorAt(file, found->mark, found->path, found->message);
    StrictScan rest;
    if (parser.HandleNextDocument(rest)) {
      return ErrorAt(file, YAML::Mark::null_mark(), "", "expected one YAML document, found more (a second `---`)");
    }
  } catch (const YAML::Exception& e) {
    return ErrorAt(file, e.mark, "", "invalid YAML: " + e.msg);
  }
  return Status::Ok();
}

bool IsPlain(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

bool IsIntegerText(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty() || (s[0] == '0' && s.size() > 1)) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsNumberText(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t b = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - b;
  };
  if (i < s.size() && s[i] == '-') ++i;
  size_t int_begin = i;
  size_t n = digits();
  if (n == 0 || (n > 1 && s[int_begin] == '0')) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

}  // namespace qsim::strict_yaml
