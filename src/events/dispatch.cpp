// The hub's WebSocket route: lifecycle hooks, and each message scanned, dispatched by type and
// answered with a response or an error envelope. Nothing a client sends drops its connection.

#include "events/envelope_scan.hpp"
#include "events/envelope_writer.hpp"
#include "events/hub_event.hpp"
#include "events/hub_impl.hpp"
#include "events/presence.hpp"
#include "log/log.hpp"

namespace wisp {
namespace {

using events::EnvelopeScan;

// A close reason is at most 123 bytes: cut longer ones at a UTF-8 character boundary.
std::string_view close_reason(std::string_view reason) {
  if (reason.size() <= 123) return reason;
  std::size_t size = 123;
  while (size > 0 && (static_cast<unsigned char>(reason[size]) & 0xC0) == 0x80) --size;
  return reason.substr(0, size);
}

void report_hook_error(std::string_view hook, std::string_view what) {
  logs::exception(std::string("hub ") += hook, what);
}

// "register" without a handler of the app's: the client is marked registered all the same.
json builtin_register(Event& event) {
  return {{"registered", true}, {"client_id", event.client_id()}};
}

}  // namespace

WebSocketBehavior events::HubImpl::behavior() {
  WebSocketBehavior behavior;
  behavior.settings = settings.websocket;
  behavior.settings.client_registry = true;  // sends by id, and ids in every envelope
  behavior.open = [this](WebSocket& ws) { on_open(ws); };
  behavior.message = [this](WebSocket& ws, std::string_view message, OpCode op) {
    on_message(ws, message, op);
  };
  behavior.close = [this](WebSocket& ws, int code, std::string_view reason) {
    on_close(ws, code, reason);
  };
  behavior.rate_limited = [this](WebSocket& ws, std::string_view message, OpCode op) {
    on_rate_limited(ws, message, op);
  };
  return behavior;
}

// ---- lifecycle ----------------------------------------------------------------------------------

// The client is a member while its hooks run (they may join it to rooms, send to it); a rejected
// client leaves at once, and no disconnect hook hears of it.
void events::HubImpl::on_open(WebSocket& ws) {
  const std::string_view id = ws.client_id();
  members.add_client(id);
  acks.client_opened(id);
  ConnectEvent event{ws, id};
  json welcome = json::object();
  if (!run_connect_hooks(event, welcome)) {
    events::remove_member(*this, id);
    acks.client_closed(id);
    if (event.rejected)
      return ws.close(close_code::policy_violation, close_reason(*event.rejected));
    return ws.close(close_code::internal_error, "internal error");
  }
  ws.subscribe(topic);
  if (!settings.welcome) return;
  welcome["client_id"] = id;
  send_now(ws, "welcome", welcome);
}

// False when a hook rejected the client (event.rejected) or threw.
bool events::HubImpl::run_connect_hooks(ConnectEvent& event, json& welcome) {
  for (const ConnectHook& hook : connect_hooks) {
    json data;
    try {
      data = hook(event);
    } catch (const std::exception& error) {
      report_hook_error("connect", error.what());
      return false;
    }
    if (event.rejected) return false;
    if (data.is_object()) welcome.update(data);
  }
  return true;
}

// The hooks see the client still in its rooms; it leaves them after.
void events::HubImpl::on_close(WebSocket& ws, int code, std::string_view reason) {
  const std::string_view id = ws.client_id();
  if (!members.has_client(id)) return;  // rejected at connect
  DisconnectEvent event{ws, id, code, reason};
  for (const DisconnectHook& hook : disconnect_hooks) {
    try {
      hook(event);
    } catch (const std::exception& error) {
      report_hook_error("disconnect", error.what());
    }
  }
  events::remove_member(*this, id);
  acks.client_closed(id);  // what it still owed: "disconnected"
}

// ---- messages -----------------------------------------------------------------------------------

void events::HubImpl::on_message(WebSocket& ws, std::string_view message, OpCode op) {
  if (op != OpCode::Text)
    return send_error(ws, hub_error::binary_unsupported, "the hub reads JSON text messages");
  const EnvelopeScan scan = events::scan_envelope(message);
  switch (scan.status) {
    case EnvelopeScan::Status::InvalidJson:
      return send_error(ws, hub_error::invalid_json, "the message is not valid JSON");
    case EnvelopeScan::Status::NotObject:
      return send_error(ws, hub_error::invalid_message, "a message is a JSON object");
    case EnvelopeScan::Status::MissingType:
      return send_error(ws, hub_error::missing_type, "the message has no \"type\" string",
                        scan.reply_id());
    case EnvelopeScan::Status::Ok:
      break;
  }
  events::HubEvent event(*self, ws, message, scan);
  dispatch(event);
}

void events::HubImpl::on_rate_limited(WebSocket& ws, std::string_view message, OpCode op) {
  const std::string_view id =
      op == OpCode::Text ? events::scan_envelope(message).reply_id() : std::string_view();
  send_error(ws, hub_error::rate_limited, "too many messages: this one was not handled", id);
}

const Handler* events::HubImpl::find_handler(std::string_view type) const {
  static const Handler default_register = builtin_register;
  const auto found = handlers.find(type);
  if (found != handlers.end()) return &found->second;
  return type == "register" ? &default_register : nullptr;
}

void events::HubImpl::dispatch(events::HubEvent& event) {
  WebSocket& ws = event.socket();
  const std::string_view type = event.type();
  if (type == "ack") return acks.client_answered(event);  // reserved: an answer to a send
  const Handler* handler = find_handler(type);
  // The reserved "ping" without a handler of the app's: a liveness check, its data echoed.
  if (!handler && type == "ping") return send_now(ws, "pong", event.data(), event.raw_id());
  if (!handler) {
    return send_error(ws, hub_error::unknown_type,
                      std::string("no handler for type \"").append(type).append("\""),
                      event.raw_id());
  }
  if (type == "register") ws.set_metadata("registered", "true");
  json result;
  try {
    result = (*handler)(event);
  } catch (const HubError& error) {
    return send_error(ws, error.code(), error.what(), event.raw_id());
  } catch (const std::exception& error) {
    return send_error(ws, hub_error::handler_error,
                      settings.expose_errors ? error.what() : "internal error", event.raw_id());
  } catch (...) {
    return send_error(ws, hub_error::handler_error, "internal error", event.raw_id());
  }
  if (event.deferred() || (result.is_null() && event.raw_id().empty())) return;
  send_now(ws, "response", result, event.raw_id());
}

void events::HubImpl::send_now(WebSocket& ws, std::string_view type, const json& data,
                               std::string_view raw_id) {
  events::MessageBuffer buffer;
  events::append_envelope(buffer.text(), type, data, raw_id);
  ws.send(buffer.text());
}

void events::HubImpl::send_error(WebSocket& ws, std::string_view code, std::string_view message,
                                 std::string_view raw_id) {
  events::MessageBuffer buffer;
  events::append_error(buffer.text(), code, message, raw_id);
  ws.send(buffer.text());
}

}  // namespace wisp
