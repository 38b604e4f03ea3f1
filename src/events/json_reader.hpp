// Builds the nlohmann DOM of text the envelope scanner already validated: no checks left to
// make, strings copied in whole runs, no recursion (any depth is safe). What Event::data() uses;
// nlohmann's own parser, checking every byte again, costs about twice as much.
#pragma once

#include <string_view>

#include "wisp/hub.hpp"

namespace wisp::events {

// `text` must be one JSON value that scan_envelope accepted (or one of its members' values);
// the result equals nlohmann::json::parse(text).
json read_valid_json(std::string_view text);

}  // namespace wisp::events
