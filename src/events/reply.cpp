#include <stdexcept>

#include "events/envelope_writer.hpp"
#include "events/reply_state.hpp"
#include "log/log.hpp"
#include "wisp/app.hpp"

namespace wisp {

Reply::State::~State() {
  if (answered) return;
  try {
    answer(events::error_envelope(hub_error::timeout, "the handler never answered", raw_id));
  } catch (const std::exception& error) {  // a destructor must not throw
    logs::exception("a dropped reply's answer", error.what());
  }
}

void Reply::State::answer(std::string message) {
  answered = true;
  app.with_client(client_id,
                  [message = std::move(message)](WebSocket& ws) { ws.send_answer(message); });
}

Reply::~Reply() = default;

void Reply::resolve(const json& data) {
  if (!state_) throw std::logic_error("wisp::Reply::resolve: the reply was already sent");
  state_->answer(events::envelope("response", data, state_->raw_id));
  state_.reset();
}

void Reply::reject(std::string_view code, std::string_view message) {
  if (!state_) throw std::logic_error("wisp::Reply::reject: the reply was already sent");
  state_->answer(events::error_envelope(code, message, state_->raw_id));
  state_.reset();
}

}  // namespace wisp
