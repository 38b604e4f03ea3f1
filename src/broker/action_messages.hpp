// The JSON messages of service actions (docs/service-actions.md is the spec):
//   a call    {"v":1, "id":"<call id>", "action":"<name>", "payload":<json>,
//              "reply":"<channel>", "deadline":<unix ms>}   RPUSHed on P"svc:"<service>
//   an answer {"v":1, "id":"<call id>", "ok":true, "result":<json>}
//          or {"v":1, "id":"<call id>", "ok":false, "error":"<text>"}   PUBLISHed on "reply"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wisp/actions.hpp"

namespace wisp::broker::actions {

struct Call {
  std::string id;
  std::string action;
  json payload;
  std::string reply;          // the channel the answer goes to
  std::int64_t deadline = 0;  // unix ms; 0: none
};

struct Answer {
  std::string id;
  bool ok = false;
  json result;
  std::string error;
};

std::string encode(const Call& call);
std::string encode(const Answer& answer);
// nullopt for what is not a well-formed message of version 1 (untrusted input).
std::optional<Call> decode_call(std::string_view text);
std::optional<Answer> decode_answer(std::string_view text);

}  // namespace wisp::broker::actions
