// What a deferred reply needs to answer later from any thread: the client's id and the request's.
#pragma once

#include <string>

#include "wisp/app.hpp"
#include "wisp/hub.hpp"

namespace wisp {

struct Reply::State {
  State(App& app, std::string client_id, std::string raw_id)
      : app(app), client_id(std::move(client_id)), raw_id(std::move(raw_id)) {}
  // Unanswered: the client gets error `timeout` (the promise was dropped).
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Sends `message` to the client on its loop, if it is still connected.
  void answer(std::string message);

  App& app;
  const std::string client_id;
  const std::string raw_id;  // the request id's JSON text; empty if none
  bool answered = false;
};

}  // namespace wisp
