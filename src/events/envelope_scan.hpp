// Finds what the hub needs of a message (its "type", "id" and "data") without building a DOM:
// one validating pass over the text, no allocation (unless nesting goes past 256 levels).
#pragma once

#include <string_view>

namespace wisp::events {

struct EnvelopeScan {
  enum class Status {
    Ok,
    InvalidJson,  // not one JSON document
    NotObject,    // valid JSON, but not an object
    MissingType,  // an object without a "type" string
  };
  Status status = Status::InvalidJson;
  std::string_view type;      // the type string's contents, between its quotes
  bool type_escaped = false;  // `type` holds backslash escapes: decode it before use
  std::string_view data;      // the raw JSON text of "data"; empty when absent
  std::string_view id;        // the raw JSON text of "id"; empty when absent (or invalid JSON)

  // The id a reply echoes: none for an absent or null id.
  std::string_view reply_id() const { return id == "null" ? std::string_view() : id; }
};

// Accepts exactly what nlohmann::json::parse accepts for valid UTF-8 input (UTF-8 itself is the
// frame reader's job): RFC 8259, a leading byte order mark, surrogate pairs in \u escapes,
// numbers whose value is finite. Of keys given twice, the last counts (as nlohmann keeps). One
// difference: a NUL byte outside a string is an error here; nlohmann takes it for the end.
EnvelopeScan scan_envelope(std::string_view text);

}  // namespace wisp::events
