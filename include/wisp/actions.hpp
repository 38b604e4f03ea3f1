// Service actions (seed 000's @app.action): named functions a service offers to other processes
// over Redis. Each call is answered by exactly one node of the service (the nodes of a service
// share its calls), or ends with an error saying why not. The wire format is open
// (docs/service-actions.md), so that other languages can call and offer actions too.
//
//   app.action("notify_user", [](const wisp::json& payload) -> wisp::json {
//     if (!payload.contains("user")) throw std::invalid_argument("no user");  // answers an error
//     return {{"sent", true}};
//   });
//   app.call("notifications", "notify_user", {{"user", "u1"}}, std::chrono::seconds(2),
//            [](wisp::ActionResult result) { if (!result.ok()) log(result.error); });
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

using json = nlohmann::json;

// An action's handler: its answer to one call. Throwing a std::exception answers an error with
// its what() (the caller's ActionResult::failed). Runs on the app's primary loop: keep it short.
using ActionHandler = std::function<json(const json& payload)>;

struct ActionResult {
  enum class Status {
    ok,           // `result` is the handler's answer
    failed,       // the handler threw, or the service has no such action: `error` says which
    timeout,      // no node of the service answered in time (none running, or all busy)
    unavailable,  // Redis could not be reached in time, or too many calls were waiting for it
  };
  Status status = Status::ok;
  json result;        // when ok
  std::string error;  // otherwise, for people
  bool ok() const { return status == Status::ok; }
};

// Called once per call, on the app's primary loop (or at once, on the calling thread, after the
// app stopped).
using ActionCallback = std::function<void(ActionResult result)>;

}  // namespace wisp

#pragma GCC visibility pop
