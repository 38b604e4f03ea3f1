#include "server/engine_commands.hpp"

#include <chrono>

#include "broker/payload.hpp"
#include "server/app_state.hpp"
#include "server/connection.hpp"

namespace wisp::server {
namespace {

using broker::PayloadReader;
using broker::PayloadWriter;
using Nanoseconds = std::chrono::nanoseconds;

// Only what send() takes as a message; anything else from another node is malformed.
std::optional<OpCode> message_op(std::uint64_t value) {
  if (value == static_cast<std::uint64_t>(OpCode::Text)) return OpCode::Text;
  if (value == static_cast<std::uint64_t>(OpCode::Binary)) return OpCode::Binary;
  return std::nullopt;
}

std::string number(std::uint64_t value) { return PayloadWriter().number(value).take(); }

bool send(AppState& state, std::string_view payload) {
  PayloadReader in(payload);
  const std::string_view id = in.text();
  const auto op = message_op(in.number());
  const std::string_view message = in.text();
  if (!in.done() || !op) return false;
  state.with_client(
      id, [message = std::string(message), op = *op](Connection& c) { c.send(message, op, true); });
  return true;
}

bool close(AppState& state, std::string_view payload) {
  PayloadReader in(payload);
  const std::string_view id = in.text();
  const auto code = in.number();
  const std::string_view reason = in.text();
  if (!in.done() || code > 4999) return false;
  Connection::check_closable(static_cast<int>(code), reason);  // throws: counted as malformed
  state.with_client(id, [code = static_cast<int>(code),
                         reason = std::string(reason)](Connection& c) { c.close(code, reason); });
  return true;
}

bool broadcast(AppState& state, std::string_view payload) {
  PayloadReader in(payload);
  const auto op = message_op(in.number());
  const std::string_view message = in.text();
  if (!in.done() || !op) return false;
  state.broadcast_here(message, *op);
  return true;
}

bool broadcast_to(AppState& state, std::string_view payload) {
  PayloadReader in(payload);
  const auto op = message_op(in.number());
  const std::string_view message = in.text();
  const std::vector<std::string> ids = in.texts();
  if (!in.done() || !op) return false;
  state.broadcast_to_here(ids, message, *op);
  return true;
}

std::optional<std::string> client(const AppState& state, std::string_view payload) {
  PayloadReader in(payload);
  const std::string_view id = in.text();
  if (!in.done()) return std::nullopt;
  const auto info = state.registry.info(id);
  return info ? encode_client(*info) : std::string();
}

std::uint64_t since_epoch(std::chrono::system_clock::time_point at) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Nanoseconds>(at.time_since_epoch()).count());
}

std::chrono::system_clock::time_point at(std::uint64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          Nanoseconds(static_cast<Nanoseconds::rep>(ns))));
}

}  // namespace

void add_engine_commands(AppState& state) {
  broker::CommandTable& table = state.node.commands();
  table.add_command(std::string(kind::send), [&state](auto p) { return send(state, p); });
  table.add_command(std::string(kind::close), [&state](auto p) { return close(state, p); });
  table.add_command(std::string(kind::probe), [](std::string_view p) {
    PayloadReader in(p);
    in.text();
    return in.done();
  });
  table.add_command(std::string(kind::broadcast), [&state](auto p) { return broadcast(state, p); });
  table.add_command(std::string(kind::broadcast_to),
                    [&state](auto p) { return broadcast_to(state, p); });
  table.add_question(std::string(kind::clients), [&state](std::string_view) {
    return std::optional(number(state.registry.size()));
  });
  table.add_question(std::string(kind::subscribers),
                     [&state](std::string_view p) -> std::optional<std::string> {
                       PayloadReader in(p);
                       const std::string_view topic = in.text();
                       if (!in.done()) return std::nullopt;
                       return number(state.topic_counts.count(topic));
                     });
  table.add_question(std::string(kind::ids), [&state](std::string_view) {
    return std::optional(PayloadWriter().texts(state.registry.ids()).take());
  });
  table.add_question(std::string(kind::client), [&state](auto p) { return client(state, p); });
}

std::string encode_client(const ClientInfo& info) {
  PayloadWriter out;
  out.text(info.id).text(info.route).text(info.remote_address);
  out.number(since_epoch(info.connected_at)).number(since_epoch(info.last_activity));
  out.number(info.messages_in).number(info.messages_out);
  out.number(info.bytes_in).number(info.bytes_out);
  out.number(info.metadata.size());
  for (const auto& [key, value] : info.metadata) out.text(key).text(value);
  return out.take();
}

std::optional<ClientInfo> decode_client(std::string_view answer) {
  if (answer.empty()) return std::nullopt;
  PayloadReader in(answer);
  ClientInfo info;
  info.id = in.text();
  info.route = in.text();
  info.remote_address = in.text();
  info.connected_at = at(in.number());
  info.last_activity = at(in.number());
  info.messages_in = in.number();
  info.messages_out = in.number();
  info.bytes_in = in.number();
  info.bytes_out = in.number();
  const std::uint64_t entries = in.number();
  for (std::uint64_t i = 0; i < entries && in.ok(); ++i) {
    std::string key(in.text());
    info.metadata.insert_or_assign(std::move(key), std::string(in.text()));
  }
  if (!in.done()) return std::nullopt;
  return info;
}

}  // namespace wisp::server
