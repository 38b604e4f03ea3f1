// App's calls that address clients and topics: this node's part on the fast path (no broker, no
// encoding for a client here), the rest through the broker (server/engine_commands.hpp).

#include "broker/answers.hpp"
#include "broker/payload.hpp"
#include "log/log.hpp"
#include "server/app_impl.hpp"
#include "server/connection.hpp"
#include "server/engine_commands.hpp"

namespace wisp {
namespace {

using broker::PayloadWriter;
using server::AppState;

template <class... Args>
std::function<void(Args...)> to_caller(const AppState& state, std::function<void(Args...)> done) {
  return broker::answer_to_caller(state.node, std::move(done));
}

// Asks every node `kind`, summing the numbers they answer.
void gather_sum(AppState& state, std::string_view kind, std::string_view payload,
                std::function<void(std::size_t)> done) {
  state.broker->gather(
      kind, payload, state.options.redis.gather_timeout,
      [&state, done = to_caller(state, std::move(done))](std::vector<std::string> answers, bool) {
        done(broker::sum_of(answers, state.node.commands()));
      });
}

// A command for the node holding `client_id`, unless it is here (then `here` does the work).
void to_holder(AppState& state, std::string_view client_id, std::string_view kind,
               const std::function<std::string()>& payload, std::function<void(bool)> done) {
  if (state.broker->alone()) {
    if (done) done(false);
    return;
  }
  state.broker->to_client(client_id, kind, payload(), to_caller(state, std::move(done)));
}

// True if the client is here: `done` then hears so at once.
bool answered_here(const AppState& state, bool here, std::function<void(bool)>& done) {
  if (here && done) to_caller(state, std::move(done))(true);
  return here;
}

bool send_or_forward(AppState& state, std::string_view id, std::string_view message, OpCode op,
                     std::function<void(bool)> done) {
  const bool here = state.with_client(
      id,
      [payload = std::string(message), op](server::Connection& c) { c.send(payload, op, true); });
  if (answered_here(state, here, done)) return true;
  to_holder(
      state, id, server::kind::send,
      [&] {
        return PayloadWriter().text(id).number(static_cast<std::uint8_t>(op)).text(message).take();
      },
      std::move(done));
  return false;
}

bool close_or_forward(AppState& state, std::string_view id, int code, std::string_view reason,
                      std::function<void(bool)> done) {
  const bool here = state.with_client(
      id, [code, reason = std::string(reason)](server::Connection& c) { c.close(code, reason); });
  if (answered_here(state, here, done)) return true;
  to_holder(
      state, id, server::kind::close,
      [&] {
        return PayloadWriter()
            .text(id)
            .number(static_cast<std::uint64_t>(code))
            .text(reason)
            .take();
      },
      std::move(done));
  return false;
}

}  // namespace

void App::publish(std::string_view topic, std::string_view message, OpCode op, bool compress) {
  impl_->state.publish(topic, message, op, compress, nullptr);
}

std::size_t App::subscriber_count(std::string_view topic) const {
  return impl_->state.topic_counts.count(topic);
}

void App::subscriber_count(std::string_view topic, std::function<void(std::size_t)> done) const {
  gather_sum(impl_->state, server::kind::subscribers, PayloadWriter().text(topic).bytes(),
             std::move(done));
}

void App::topic_history(std::string_view topic, std::size_t limit,
                        std::function<void(std::optional<TopicHistory>)> done) const {
  impl_->state.topic_streams.read(topic, limit,
                                  broker::answer_to_caller(impl_->state.node, std::move(done)));
}

bool App::send_to(std::string_view client_id, std::string_view message, OpCode op) {
  return send_or_forward(impl_->state, client_id, message, op, nullptr);
}

void App::send_to(std::string_view client_id, std::string_view message, OpCode op,
                  std::function<void(bool)> done) {
  send_or_forward(impl_->state, client_id, message, op, std::move(done));
}

bool App::disconnect(std::string_view client_id, int code, std::string_view reason) {
  server::Connection::check_closable(code, reason);  // throws here, on the caller's thread
  return close_or_forward(impl_->state, client_id, code, reason, nullptr);
}

void App::disconnect(std::string_view client_id, int code, std::string_view reason,
                     std::function<void(bool)> done) {
  server::Connection::check_closable(code, reason);
  close_or_forward(impl_->state, client_id, code, reason, std::move(done));
}

std::size_t App::broadcast(std::string_view message, OpCode op) {
  AppState& state = impl_->state;
  if (state.broker->alone()) return state.broadcast_here(message, op);
  const std::size_t here = state.registry.size();
  // Every node, this one included, runs the command: this node's clients get it from there.
  state.broker->to_all(server::kind::broadcast,
                       PayloadWriter().number(static_cast<std::uint8_t>(op)).text(message).bytes());
  return here;
}

std::size_t App::broadcast_to(const std::vector<std::string>& client_ids, std::string_view message,
                              OpCode op) {
  AppState& state = impl_->state;
  std::vector<std::string> elsewhere;
  const std::size_t here = state.broadcast_to_here(client_ids, message, op, &elsewhere);
  if (!elsewhere.empty() && !state.broker->alone()) {
    state.broker->to_all(server::kind::broadcast_to, PayloadWriter()
                                                         .number(static_cast<std::uint8_t>(op))
                                                         .text(message)
                                                         .texts(elsewhere)
                                                         .bytes());
  }
  return here;
}

bool App::is_connected(std::string_view client_id) const {
  return impl_->state.registry.find(client_id).first != nullptr;
}

void App::is_connected(std::string_view client_id, std::function<void(bool)> done) const {
  AppState& state = impl_->state;
  if (is_connected(client_id)) return to_caller(state, std::move(done))(true);
  to_holder(
      state, client_id, server::kind::probe, [&] { return PayloadWriter().text(client_id).take(); },
      std::move(done));
}

std::size_t App::client_count() const { return impl_->state.registry.size(); }

void App::client_count(std::function<void(std::size_t)> done) const {
  gather_sum(impl_->state, server::kind::clients, {}, std::move(done));
}

std::vector<std::string> App::client_ids() const { return impl_->state.registry.ids(); }

void App::client_ids(std::function<void(std::vector<std::string>)> done) const {
  AppState& state = impl_->state;
  state.broker->gather(
      server::kind::ids, {}, state.options.redis.gather_timeout,
      [&state, done = to_caller(state, std::move(done))](std::vector<std::string> answers, bool) {
        done(broker::all_of(answers, state.node.commands()));
      });
}

std::optional<ClientInfo> App::client(std::string_view client_id) const {
  return impl_->state.registry.info(client_id);
}

void App::client(std::string_view client_id,
                 std::function<void(std::optional<ClientInfo>)> done) const {
  AppState& state = impl_->state;
  if (auto info = client(client_id); info || state.broker->alone())
    return to_caller(state, std::move(done))(std::move(info));
  state.broker->gather(
      server::kind::client, PayloadWriter().text(client_id).bytes(),
      state.options.redis.gather_timeout,
      [&state, done = to_caller(state, std::move(done))](std::vector<std::string> answers, bool) {
        std::optional<ClientInfo> found;
        for (const std::string& answer : answers) {
          if (answer.empty() || found) continue;
          found = server::decode_client(answer);
          if (!found) state.node.commands().count_malformed();
        }
        done(std::move(found));
      });
}

std::vector<ClientInfo> App::clients(const std::function<bool(const ClientInfo&)>& filter) const {
  std::vector<ClientInfo> found = impl_->state.registry.all();
  std::erase_if(found, [&](const ClientInfo& info) { return !filter(info); });
  return found;
}

bool App::set_metadata(std::string_view client_id, std::string key, std::string value) {
  return impl_->state.registry.set_metadata(client_id, std::move(key), std::move(value));
}

bool App::with_client(std::string_view client_id, std::function<void(WebSocket&)> action) {
  return impl_->state.with_client(client_id, [action = std::move(action)](server::Connection& c) {
    try {
      action(c);
    } catch (const std::exception& error) {  // it may run later, on a loop: never past the loop
      logs::exception("with_client action", error.what());
    }
  });
}

}  // namespace wisp
