// wisp::HubClient: the hub's envelopes over a Client connection, behaving as web/wisp.js does.
// It reconnects by itself (its connections are made with reconnection off) because it must know
// when the policy gives up, which is when queued and awaited messages fail with "closed".
#include "wisp/hub_client.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "client/backoff.hpp"
#include "log/log.hpp"
#include "net/event_loop.hpp"
#include "net/loop_timer.hpp"
#include "protocol/frame.hpp"

namespace wisp {

using std::chrono::milliseconds;

struct HubAck::State {
  json id;
  bool answered = false;
  std::function<void(const json&)> write;  // on the message's connection, if still open
};

void HubAck::ack(const json& answer) {
  if (!state_ || std::exchange(state_->answered, true)) return;
  state_->write({{"type", "ack"}, {"id", state_->id}, {"data", answer}});
}

void HubAck::fail(std::string_view code, std::string_view message) {
  if (!state_ || std::exchange(state_->answered, true)) return;
  state_->write(
      {{"type", "ack"}, {"id", state_->id}, {"error", {{"code", code}, {"message", message}}}});
}

namespace {

HubResponse failure(std::string_view code, std::string message) {
  return {.error = std::string(code), .message = std::move(message), .data = nullptr};
}

// A response or error envelope as a request's outcome.
HubResponse response_of(json& message) {
  json data = message.contains("data") ? std::move(message["data"]) : json();
  if (message["type"] == "response") return {.error = {}, .message = {}, .data = std::move(data)};
  const auto text = [&](const char* key, const char* otherwise) {
    return data.is_object() && data.contains(key) && data[key].is_string()
               ? data[key].get<std::string>()
               : std::string(otherwise);
  };
  return {.error = text("code", "error"), .message = text("message", ""), .data = std::move(data)};
}

std::optional<StreamPosition> position_in(const json& message) {
  if (!message.is_object()) return std::nullopt;
  const auto offset = message.find("offset");
  const auto epoch = message.find("epoch");
  if (offset == message.end() || !offset->is_number_unsigned() || epoch == message.end() ||
      !epoch->is_string())
    return std::nullopt;
  return StreamPosition{.epoch = epoch->get<std::string>(), .offset = offset->get<std::uint64_t>()};
}

const std::string* room_of(const json& data) {
  if (!data.is_object()) return nullptr;
  const auto room = data.find("room");
  return room != data.end() && room->is_string() ? room->get_ptr<const std::string*>() : nullptr;
}

bool listed(const std::vector<std::string>& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

struct HubClient::Impl : std::enable_shared_from_this<Impl> {
  struct Outgoing {
    json envelope;
    std::uint64_t id = 0;  // 0: no answer awaited
  };
  struct Pending {
    std::function<void(HubResponse)> done;
    std::unique_ptr<net::LoopTimer> deadline;
    bool written = false;
  };

  explicit Impl(HubClientSettings s) : settings(std::move(s)), connection(settings.connection) {
    connection.reconnect.enabled = false;
  }

  // Set before connect(), read-only after.
  HubClientSettings settings;
  ClientSettings connection;
  Client* client = nullptr;
  std::string url;
  std::atomic<bool> started{false};
  std::map<std::string, std::vector<HubMessageHandler>, std::less<>> handlers;
  std::vector<std::function<void(const HubStateChange&)>> state_handlers;
  std::vector<std::function<void(const RoomRecovery&)>> recovery_handlers;

  // The loop thread's.
  ClientSocket* socket = nullptr;
  std::uint64_t generation = 0;  // connections opened: an ack answers on its own one only
  bool ever_opened = false;
  bool closing = false;  // close() was called
  bool shut = false;     // the HubClient is being destroyed
  std::uint32_t failures = 0;
  net::LoopTimer retry{[this] { dial(); }};
  std::deque<Outgoing> queue;
  std::map<std::uint64_t, Pending> pending;
  std::uint64_t next_id = 1;
  std::optional<json> registration;

  // Read from any thread (the snapshots), written on the loop thread under the mutex.
  mutable std::mutex snapshot_mutex;
  HubClientState state = HubClientState::connecting;
  std::string client_id;
  std::map<std::string, json, std::less<>> joined;  // room -> its join {type, data}
  std::map<std::string, StreamPosition, std::less<>> positions;
  std::atomic<std::uint64_t> unsent{0};

  // ---- the connection ------------------------------------------------------------------------

  ClientHandlers connection_handlers() {
    auto self = shared_from_this();
    return {.open = [self](ClientSocket& s) { self->opened(s); },
            .message =
                [self](ClientSocket&, std::string_view text, OpCode op) {
                  if (op == OpCode::Text) self->receive(text);
                },
            .close = [self](ClientSocket& s, int code,
                            std::string_view reason) { self->lost(s, code, reason); },
            .fail = [self](const ConnectError& e) { self->retry_or_finish(1006, e.message); }};
  }

  void dial() {
    try {
      client->connect(url, connection_handlers(), connection);
    } catch (const std::exception& e) {  // e.g. the ca_file is no longer readable
      retry_or_finish(1006, e.what());
    }
  }

  void opened(ClientSocket& s) {
    if (closing || shut) return s.close();  // a connect that was under way when close() came
    socket = &s;
    ++generation;
    failures = 0;
    const bool reconnected = std::exchange(ever_opened, true);
    if (reconnected) resume();
    for (auto waiting = std::exchange(queue, {}); !waiting.empty(); waiting.pop_front())
      write(std::move(waiting.front()));
    set_state({.state = HubClientState::open, .reconnected = reconnected});
  }

  void lost(ClientSocket& s, int code, std::string_view reason) {
    if (&s != socket) return;
    socket = nullptr;
    {
      std::lock_guard lock(snapshot_mutex);
      client_id.clear();  // the next connection gets an id of its own
    }
    std::vector<std::uint64_t> written;  // their answers can never come
    for (const auto& [id, entry] : pending) {
      if (entry.written) written.push_back(id);
    }
    const std::string why =
        "the connection closed (" + std::to_string(code) + ") before the answer";
    for (const std::uint64_t id : written) settle(id, failure(hub_client_error::disconnected, why));
    if (closing || shut) return finish(code, std::string(reason));
    retry_or_finish(code, std::string(reason));
  }

  void retry_or_finish(int code, std::string reason) {
    if (closing || shut) return;
    const ReconnectSettings& policy = settings.connection.reconnect;
    if (!client::should_reconnect(policy, code, failures)) return finish(code, std::move(reason));
    const milliseconds delay = client::backoff_delay(policy, failures, client::random_unit());
    ++failures;
    set_state({.state = HubClientState::reconnecting,
               .attempt = static_cast<int>(failures),
               .delay = delay,
               .code = code,
               .reason = std::move(reason)});
    retry.schedule(net::EventLoop::current()->timers(), delay);
  }

  void finish(int code, std::string reason) {
    retry.cancel();
    while (!pending.empty()) {
      settle(pending.begin()->first, failure(hub_client_error::closed, "the client is closed"));
    }
    for (; !queue.empty(); queue.pop_front()) refuse(queue.front(), hub_client_error::closed);
    set_state({.state = HubClientState::closed, .code = code, .reason = std::move(reason)});
  }

  void close(int code, std::string_view reason) {
    if (closing || state_now() == HubClientState::closed) return;
    closing = true;
    if (socket) return socket->close(code, reason);  // lost() runs at once and finishes
    finish(code, std::string(reason));
  }

  // Destruction: nothing more runs or is reported.
  void shut_down() {
    shut = true;
    retry.cancel();
    pending.clear();
    queue.clear();
  }

  void set_state(HubStateChange change) {
    {
      std::lock_guard lock(snapshot_mutex);
      state = change.state;
    }
    for (const auto& handler : state_handlers) handler(change);
  }

  HubClientState state_now() const {
    std::lock_guard lock(snapshot_mutex);
    return state;
  }

  // ---- sending ---------------------------------------------------------------------------------

  void enqueue(Outgoing out) {
    if (closing || state_now() == HubClientState::closed) {
      return refuse(out, hub_client_error::closed);
    }
    if (socket) return write(std::move(out));
    if (queue.size() >= settings.queue_limit) return refuse(out, hub_client_error::queue_full);
    queue.push_back(std::move(out));
  }

  void write(Outgoing out) {
    const auto awaited = out.id ? pending.find(out.id) : pending.end();
    if (out.id && awaited == pending.end()) return;  // timed out while it waited
    if (socket->send_text(out.envelope.dump()) == SendStatus::Dropped) {
      return refuse(out, hub_client_error::dropped);
    }
    remember(out.envelope);
    if (out.id) awaited->second.written = true;
  }

  void refuse(const Outgoing& out, std::string_view code) {
    if (out.id) return settle(out.id, failure(code, "not sent: " + std::string(code)));
    unsent.fetch_add(1, std::memory_order_relaxed);
    logs::write(LogLevel::warn, "hub_client.unsent", "a hub client's message could not be sent",
                {{"type", out.envelope["type"].get_ref<const std::string&>()}, {"why", code}});
  }

  // What is sent again after a reconnect: the last register, the rooms joined and not left.
  void remember(const json& envelope) {
    const std::string& type = envelope["type"].get_ref<const std::string&>();
    const json& data = envelope["data"];
    if (type == settings.register_type) registration = data;
    const std::string* room = room_of(data);
    if (!room) return;
    std::lock_guard lock(snapshot_mutex);
    if (listed(settings.join_types, type)) {
      joined[*room] = {{"type", type}, {"data", data}};
    } else if (listed(settings.leave_types, type)) {
      joined.erase(*room);
      positions.erase(*room);
    }
  }

  void request(json envelope, std::function<void(HubResponse)> done,
               std::optional<milliseconds> timeout) {
    const std::uint64_t id = next_id++;
    envelope["id"] = id;
    Pending& entry = pending[id];
    entry.done = std::move(done);
    if (const milliseconds limit = timeout.value_or(settings.request_timeout); limit.count() > 0) {
      entry.deadline = std::make_unique<net::LoopTimer>([this, id, limit] {
        settle(id, failure(hub_client_error::timeout,
                           "no answer within " + std::to_string(limit.count()) + " ms"));
      });
      entry.deadline->schedule(net::EventLoop::current()->timers(), limit);
    }
    enqueue({std::move(envelope), id});
  }

  void settle(std::uint64_t id, HubResponse response) {
    const auto it = pending.find(id);
    if (it == pending.end()) return;
    Pending entry = std::move(it->second);  // its deadline goes when this returns
    pending.erase(it);
    if (entry.done) entry.done(std::move(response));
  }

  // After a reconnect, before anything queued: the register, then each joined room, a room
  // with history from the last position seen (what was missed comes before the join's answer).
  void resume() {
    if (registration) {
      request({{"type", settings.register_type}, {"data", *registration}}, {}, std::nullopt);
    }
    std::map<std::string, json, std::less<>> rooms;
    std::map<std::string, StreamPosition, std::less<>> seen;
    {
      std::lock_guard lock(snapshot_mutex);
      rooms = joined;
      seen = positions;
    }
    for (auto& [room, envelope] : rooms) {
      const auto since = seen.find(room);
      if (since == seen.end()) {
        request(std::move(envelope), {}, std::nullopt);
        continue;
      }
      envelope["data"]["since"] = {{"offset", since->second.offset},
                                   {"epoch", since->second.epoch}};
      request(
          std::move(envelope), [this, name = room](HubResponse r) { recovered(name, r); },
          std::nullopt);
    }
  }

  void recovered(const std::string& room, const HubResponse& response) {
    RoomRecovery result{.room = room, .recovered = false, .reason = response.error, .position = {}};
    if (response.ok() && response.data.is_object()) {
      result.recovered = response.data.value("recovered", false);
      result.reason = response.data.value("reason", "");
      result.position = position_in(response.data).value_or(StreamPosition{});
    }
    for (const auto& handler : recovery_handlers) handler(result);
  }

  // ---- receiving -------------------------------------------------------------------------------

  void receive(std::string_view text) {
    json message = json::parse(text, nullptr, false);
    if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
      return;  // not an envelope: not ours to interpret
    }
    const std::string& type = message["type"].get_ref<const std::string&>();
    if (type == "welcome") note_welcome(message);
    const bool answer = type == "response" || type == "error";
    track(answer ? message.value("data", json()) : message);
    if (answer && settle_answer(message)) return;
    dispatch(std::move(message));
  }

  void note_welcome(const json& message) {
    const json& data = message.value("data", json());
    if (!data.is_object() || !data.contains("client_id") || !data["client_id"].is_string()) return;
    std::lock_guard lock(snapshot_mutex);
    client_id = data["client_id"].get<std::string>();
  }

  // A room message or a join's answer moves the room's position, for a joined room.
  void track(const json& message) {
    const std::string* room = room_of(message);
    const auto position = position_in(message);
    if (!room || !position) return;
    std::lock_guard lock(snapshot_mutex);
    if (joined.contains(*room)) positions[*room] = *position;
  }

  bool settle_answer(json& message) {
    const auto id = message.find("id");
    if (id == message.end() || !id->is_number_unsigned()) return false;
    const std::uint64_t key = id->get<std::uint64_t>();
    if (!pending.contains(key)) return false;
    settle(key, response_of(message));
    return true;
  }

  void dispatch(json message) {
    HubMessage m{.type = message["type"].get<std::string>(),
                 .data = message.value("data", json()),
                 .envelope = std::move(message),
                 .ack = {},
                 .deferred = false};
    if (m.envelope.contains("ack")) m.ack = make_ack(m.envelope["ack"]);
    const auto own = handlers.find(m.type);
    const bool handled = own != handlers.end();
    if (handled) {
      for (const auto& handler : own->second) run(handler, m, true);
    }
    if (const auto all = handlers.find("*"); all != handlers.end()) {
      for (const auto& handler : all->second) run(handler, m, false);
    }
    if (!handled) {
      m.ack.fail(hub_error::unknown_type, "no handler for type \"" + m.type + "\"");
    }
  }

  // One handler; the type's own answer an ack with what they return (the "*" ones only watch).
  static void run(const HubMessageHandler& handler, HubMessage& m, bool answers) {
    try {
      json answer = handler(m);
      if (answers && !m.deferred) m.ack.ack(answer);
    } catch (const HubError& e) {
      m.ack.fail(e.code(), e.what());
    } catch (const std::exception& e) {
      logs::exception("hub client handler for \"" + m.type + "\"", e.what());
      m.ack.fail(hub_error::handler_error, e.what());
    }
  }

  HubAck make_ack(json id) {
    auto write = [weak = weak_from_this(), on = generation](const json& envelope) {
      const auto self = weak.lock();
      if (self && self->socket && self->generation == on) self->socket->send_text(envelope.dump());
    };
    return HubClient::make_ack(std::move(id), std::move(write));
  }
};

HubAck HubClient::make_ack(json id, std::function<void(const json&)> write) {
  HubAck ack;
  ack.state_ = std::make_shared<HubAck::State>();
  ack.state_->id = std::move(id);
  ack.state_->write = std::move(write);
  return ack;
}

HubClient::HubClient(HubClientSettings settings)
    : impl_(std::make_shared<Impl>(std::move(settings))) {
  impl_->client = &client_;
}

HubClient::~HubClient() {
  // On the loop, and waited for: the loop's timers must be cancelled while the loop exists.
  std::promise<void> done;
  client_.post([&] {
    impl_->shut_down();
    done.set_value();
  });
  done.get_future().wait();
}

HubClient& HubClient::on_message(std::string_view type, HubMessageHandler handler) {
  if (impl_->started) throw std::logic_error("HubClient: set handlers before connect()");
  auto& list = impl_->handlers[std::string(type)];
  list.push_back(std::move(handler));
  return *this;
}

HubClient& HubClient::on_state(std::function<void(const HubStateChange&)> handler) {
  if (impl_->started) throw std::logic_error("HubClient: set handlers before connect()");
  impl_->state_handlers.push_back(std::move(handler));
  return *this;
}

HubClient& HubClient::on_recovery(std::function<void(const RoomRecovery&)> handler) {
  if (impl_->started) throw std::logic_error("HubClient: set handlers before connect()");
  impl_->recovery_handlers.push_back(std::move(handler));
  return *this;
}

void HubClient::connect(std::string_view url) {
  if (impl_->started.exchange(true)) throw std::logic_error("HubClient: connect() called twice");
  impl_->url = std::string(url);
  client_.connect(url, impl_->connection_handlers(), impl_->connection);
}

void HubClient::send(std::string_view type, json data) {
  client_.post(
      [impl = impl_, envelope = json{{"type", type}, {"data", std::move(data)}}]() mutable {
        impl->enqueue({std::move(envelope), 0});
      });
}

void HubClient::request(std::string_view type, json data, std::function<void(HubResponse)> done,
                        std::optional<milliseconds> timeout) {
  client_.post([impl = impl_, envelope = json{{"type", type}, {"data", std::move(data)}},
                done = std::move(done), timeout]() mutable {
    impl->request(std::move(envelope), std::move(done), timeout);
  });
}

detail::CallbackAwaiter<HubResponse> HubClient::request(std::string_view type, json data,
                                                        std::optional<milliseconds> timeout) {
  return detail::CallbackAwaiter<HubResponse>(
      [this, type = std::string(type), data = std::move(data),
       timeout](std::function<void(HubResponse)> done) mutable {
        request(type, std::move(data), std::move(done), timeout);
      });
}

void HubClient::close(int code, std::string_view reason) {
  if (const std::string why = protocol::unclosable_reason(code, reason); !why.empty()) {
    throw std::invalid_argument(why);
  }
  client_.post([impl = impl_, code, reason = std::string(reason)] { impl->close(code, reason); });
}

HubClientState HubClient::state() const { return impl_->state_now(); }

std::string HubClient::client_id() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->client_id;
}

std::vector<std::string> HubClient::rooms() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  std::vector<std::string> names;
  for (const auto& [room, join] : impl_->joined) names.push_back(room);
  return names;
}

std::optional<StreamPosition> HubClient::position(std::string_view room) const {
  std::lock_guard lock(impl_->snapshot_mutex);
  const auto it = impl_->positions.find(room);
  if (it == impl_->positions.end()) return std::nullopt;
  return it->second;
}

std::uint64_t HubClient::unsent() const { return impl_->unsent.load(std::memory_order_relaxed); }

}  // namespace wisp
