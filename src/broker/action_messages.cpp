#include "broker/action_messages.hpp"

namespace wisp::broker::actions {
namespace {

constexpr int version = 1;

// Text from elsewhere may hold invalid UTF-8 (an error's what()): replaced, never a throw.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<json> parse_object(std::string_view text) {
  json value = json::parse(text, nullptr, false);
  if (!value.is_object()) return std::nullopt;
  auto v = value.find("v");
  if (v == value.end() || !v->is_number_integer() || v->get<std::int64_t>() != version)
    return std::nullopt;
  auto id = value.find("id");
  if (id == value.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return std::nullopt;
  return value;
}

bool string_member(const json& object, const char* key, std::string& out) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return false;
  out = found->get<std::string>();
  return true;
}

}  // namespace

std::string encode(const Call& call) {
  return dump({{"v", version},
               {"id", call.id},
               {"action", call.action},
               {"payload", call.payload},
               {"reply", call.reply},
               {"deadline", call.deadline}});
}

std::string encode(const Answer& answer) {
  json message = {{"v", version}, {"id", answer.id}, {"ok", answer.ok}};
  if (answer.ok)
    message["result"] = answer.result;
  else
    message["error"] = answer.error;
  return dump(message);
}

std::optional<Call> decode_call(std::string_view text) {
  auto message = parse_object(text);
  if (!message) return std::nullopt;
  Call call;
  call.id = (*message)["id"].get<std::string>();
  if (!string_member(*message, "action", call.action) ||
      !string_member(*message, "reply", call.reply) || call.reply.empty())
    return std::nullopt;
  call.payload = message->value("payload", json());
  auto deadline = message->find("deadline");
  if (deadline != message->end()) {
    if (!deadline->is_number_integer()) return std::nullopt;
    call.deadline = deadline->get<std::int64_t>();
  }
  return call;
}

std::optional<Answer> decode_answer(std::string_view text) {
  auto message = parse_object(text);
  if (!message) return std::nullopt;
  Answer answer;
  answer.id = (*message)["id"].get<std::string>();
  auto ok = message->find("ok");
  if (ok == message->end() || !ok->is_boolean()) return std::nullopt;
  answer.ok = ok->get<bool>();
  if (answer.ok) {
    answer.result = message->value("result", json());
    return answer;
  }
  if (!string_member(*message, "error", answer.error)) return std::nullopt;
  return answer;
}

}  // namespace wisp::broker::actions
