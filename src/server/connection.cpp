#include "server/connection.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

#include "net/tcp_listener.hpp"
#include "protocol/frame.hpp"
#include "protocol/handshake.hpp"
#include "server/event_log.hpp"
#include "server/http_exchange.hpp"
#include "server/http_types.hpp"
#include "server/loop_server.hpp"

namespace wisp::server {
namespace {

using std::chrono::milliseconds;

net::EventLoop& loop() { return *net::EventLoop::current(); }

LoopServer& server() { return LoopServer::current(); }

// The loop's cached steady time as wall-clock time, without a clock read per message.
std::chrono::system_clock::time_point wall_clock_now() {
  static const auto offset = std::chrono::system_clock::now().time_since_epoch() -
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 std::chrono::steady_clock::now().time_since_epoch());
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          loop().now().time_since_epoch()) +
      offset);
}

std::uint32_t current_tick() { return static_cast<std::uint32_t>(loop().timers().current_tick()); }

milliseconds ticks_to_ms(std::uint32_t ticks) { return loop().timers().tick_length() * ticks; }

bool on(milliseconds setting) { return setting.count() > 0; }

}  // namespace

Connection::Connection(int fd, const net::TlsContext* tls)
    : net::Socket(fd, tls), net::TimerNode(&Connection::on_timer) {
  server().add(*this);
  schedule(server().options().handshake_timeout);
}

Connection::~Connection() { loop().timers().cancel(*this); }

void Connection::schedule(milliseconds delay) { loop().timers().schedule(*this, delay); }

// ---- bytes in ----------------------------------------------------------------------------------

void Connection::on_data(std::uint8_t* data, std::size_t size) {
  switch (phase_) {
    case Phase::Http:
      read_http(data, size);
      break;
    case Phase::Open:
      last_activity_tick_ = current_tick();
      awaiting_pong_ = false;  // any bytes prove the peer alive
      reader_.consume(data, size, reader_config(), *this);
      break;
    case Phase::Closing:
    case Phase::Done:
      break;  // the peer's last words after our close: nothing more is delivered
  }
}

// The 101 went out: the socket is open (its user data made by the upgrade, or null).
void Connection::become_open(const Route& route, void* user_data) {
  route_ = &route;
  user_data_ = user_data;
  phase_ = Phase::Open;
  opened_tick_ = last_activity_tick_ = last_message_tick_ = rate_window_tick_ = current_tick();
  schedule_next_deadline();
  LoopMetrics::add(server().metrics().opened);
  LoopMetrics::add(server().metrics().websockets);
  Answering answering(*this);
  if (route.behavior.open) route.behavior.open(*this);
}

// ---- the frame reader's sink -------------------------------------------------------------------

bool Connection::on_message(OpCode op, std::string_view message, bool compressed) {
  Answering answering(*this);  // the rate_limited handler's notice too
  last_message_tick_ = last_activity_tick_;
  if (compressed) {
    message = inflate(message, op);
    if (phase_ != Phase::Open) return false;
  }
  if (ClientRecord* record = client()) record->received(message.size(), wall_clock_now());
  LoopMetrics::add(server().metrics().messages_in);
  LoopMetrics::add(server().metrics().bytes_in, message.size());
  if (!within_rate_limit(message, op)) return phase_ == Phase::Open;
  if (route_->behavior.message) route_->behavior.message(*this, message, op);
  return phase_ == Phase::Open;
}

bool Connection::on_ping(std::string_view payload) {
  write_frame(OpCode::Pong, payload);
  Answering answering(*this);
  if (route_->behavior.ping) route_->behavior.ping(*this, payload);
  return phase_ == Phase::Open;
}

bool Connection::on_pong(std::string_view payload) {
  Answering answering(*this);
  if (route_->behavior.pong) route_->behavior.pong(*this, payload);
  return phase_ == Phase::Open;
}

void Connection::on_close(int code, std::string_view reason) {
  // Reply with the peer's code (§5.5.1); a close without a code gets an empty close back.
  std::uint8_t payload[2];
  const std::size_t size = protocol::write_close_payload(payload, code, {});
  write_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), size});
  enter_closed(code, reason, ClosedBy::peer);
  shutdown_write();
}

void Connection::on_error(int code, std::string_view reason) { fail_with_close(code, reason); }

// ---- bytes out ---------------------------------------------------------------------------------

// Inflates a compressed message into the loop's scratch, failing the connection when it is too
// big (before the memory is spent), corrupt, or not UTF-8 where it should be.
std::string_view Connection::inflate(std::string_view compressed, OpCode op) {
  std::string_view message;
  const auto result = server().compression().inflate(*deflate(), compressed,
                                                     route_->reader.max_message_size, message);
  const auto verdict = protocol::judge_inflated(result, op == OpCode::Text, message);
  if (verdict.code != 0) fail_with_close(verdict.code, verdict.reason);
  return message;
}

void Connection::write_frame(OpCode op, std::string_view payload, bool compressed) {
  const protocol::FrameHeader fields{
      .opcode = op, .fin = true, .rsv1 = compressed, .payload_size = payload.size()};
  const std::size_t header_size = protocol::frame_header_size(payload.size(), false);
  if (char* out = cork_space(header_size + payload.size())) {  // an answer during a read
    protocol::write_frame_header(reinterpret_cast<std::uint8_t*>(out), fields);
    // An empty payload's data() may be null, which memcpy must not get even for 0 bytes.
    if (!payload.empty()) std::memcpy(out + header_size, payload.data(), payload.size());
    return;
  }
  std::uint8_t header[protocol::max_frame_header_size];
  protocol::write_frame_header(header, fields);
  write({reinterpret_cast<const char*>(header), header_size}, payload);
}

// Compresses when asked, agreed, and worth it (data messages from the route's threshold up).
void Connection::write_message(OpCode op, std::string_view message, bool compress) {
  const WebSocketSettings& settings = route_->behavior.settings;
  if (!compress || !deflate() || protocol::is_control(op) ||
      message.size() < settings.compression_threshold) {
    return write_frame(op, message);
  }
  write_frame(
      op, server().compression().deflate(*deflate(), settings.compression_memory_level, message),
      true);
}

void Connection::check_sendable(OpCode op, std::string_view message) {
  if (!protocol::is_sendable(op, message.size())) {
    throw std::invalid_argument(protocol::unsendable_reason(op, message.size()));
  }
}

SendStatus Connection::send(std::string_view message, OpCode op, bool compress) {
  check_sendable(op, message);
  if (phase_ != Phase::Open) return SendStatus::Dropped;
  if (!answering_ && over_backpressure()) {
    refuse(message, op);
    return SendStatus::Dropped;
  }
  write_message(op, message, compress);
  count_sent(message.size());
  // Bytes staged for the end of the iteration count in buffered_amount() and may still be refused
  // by the kernel then: whoever waits on buffered_amount() hears the drain.
  if (buffered() > 0) drain_wanted_ = true;
  return backpressured() ? SendStatus::Backpressure : SendStatus::Sent;
}

// ---- topics ------------------------------------------------------------------------------------

bool Connection::subscribe(std::string_view topic) {
  return phase_ == Phase::Open && server().topics().subscribe(*this, extras().subscriptions, topic);
}

bool Connection::unsubscribe(std::string_view topic) {
  return extras_ && server().topics().unsubscribe(*this, extras_->subscriptions, topic);
}

bool Connection::is_subscribed(std::string_view topic) const {
  if (!subscriptions()) return false;
  for (const Topic* t : *subscriptions()) {
    if (t->name == topic) return true;
  }
  return false;
}

std::vector<std::string> Connection::topics() const {
  std::vector<std::string> names;
  if (subscriptions()) {
    for (const Topic* t : *subscriptions()) names.push_back(t->name);
  }
  return names;
}

void Connection::subscribe(std::string_view topic, const StreamPosition& since,
                           std::function<void(TopicRecovery)> done) {
  server().app().topic_streams.subscribe(*this, topic, since, std::move(done));
}

std::shared_ptr<Connection*> Connection::handle() {
  if (!extras().handle) extras_->handle = std::make_shared<Connection*>(this);
  return extras_->handle;
}

void Connection::publish(std::string_view topic, std::string_view message, OpCode op,
                         bool compress) {
  check_sendable(op, message);
  server().app().publish(topic, message, op, compress, this);
}

// Sockets that compress each message alone share one compressed frame per window size; those
// keeping context must run it through their own stream.
bool Connection::write_published(Publication& message) {
  if (phase_ != Phase::Open) return true;
  if (over_backpressure()) return false;
  const SocketDeflate* agreed = deflate();
  if (message.compress() && agreed && agreed->agreed.server_no_context_takeover &&
      message.payload().size() >= route_->behavior.settings.compression_threshold) {
    write(message.compressed_frame(agreed->agreed.server_max_window_bits));
  } else if (message.compress() && agreed) {
    write_message(message.op(), message.payload(), true);
  } else {
    write_staged(message.staged());
  }
  count_sent(message.payload().size());
  return true;
}

// A fixed window: cheap (two fields, no clock read) and what Daebus-style limits count.
bool Connection::within_rate_limit(std::string_view message, OpCode op) {
  const WebSocketSettings& settings = route_->behavior.settings;
  if (settings.rate_limit_messages == 0) return true;
  if (ticks_to_ms(last_activity_tick_ - rate_window_tick_) >= settings.rate_limit_window) {
    rate_window_tick_ = last_activity_tick_;
    rate_count_ = 0;
  }
  if (++rate_count_ <= settings.rate_limit_messages) return true;
  LoopMetrics::add(server().metrics().rate_limited);
  if (settings.rate_limit_policy == LimitPolicy::Close) {
    fail_with_close(close_code::policy_violation, "rate limit");
  } else {
    event_log::rate_limited(route_->pattern);
    if (route_->behavior.rate_limited) route_->behavior.rate_limited(*this, message, op);
  }
  return false;
}

// ---- the client registry
// -------------------------------------------------------------------------

// Reserves the id before the upgrade is answered, so that a taken custom id can still get 409.
bool Connection::register_client(const Route& route, const protocol::HttpRequest& request) {
  auto record = std::make_unique<ClientRecord>();
  record->route = &route;
  record->loop = &server();
  record->connection = this;
  record->remote_address = net::peer_address(fd());
  record->connected_at = wall_clock_now();
  record->last_activity_ns.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(record->connected_at.time_since_epoch())
          .count());
  const auto& custom = server().options().client_id;
  if (custom) {
    // The route's params too.
    record->id = custom(wisp::detail::RequestAccess::make(request, http_->params, {}, fd()));
  }
  if (!record->id.empty()) {
    if (!server().app().registry.add(*record)) return false;
  } else {
    do {
      record->id = random_client_id();
    } while (!server().app().registry.add(*record));  // 128 random bits: a retry is never needed
  }
  extras().client = std::move(record);
  return true;
}

void Connection::unregister_client() {
  if (ClientRecord* record = client()) server().app().registry.remove(*record);
}

bool Connection::over_backpressure() const {
  return buffered() > route_->behavior.settings.max_backpressure;
}

// An HTTP connection (no route yet) pauses at the defaults: a client that pipelines requests
// without reading the answers stops being read.
net::BacklogMarks Connection::backlog_marks() const {
  static const WebSocketSettings defaults;
  const WebSocketSettings& settings = route_ ? route_->behavior.settings : defaults;
  return {settings.backlog_high_water,
          std::min(settings.backlog_low_water, settings.backlog_high_water)};
}

void Connection::on_input_paused(bool paused) {
  LoopMetrics& metrics = server().metrics();
  if (!paused) return LoopMetrics::subtract(metrics.input_paused);
  LoopMetrics::add(metrics.input_paused);
  LoopMetrics::add(metrics.input_pauses);
}

// The backpressure policy, for a message this socket cannot take. May run handlers.
void Connection::refuse(std::string_view message, OpCode op) {
  if (phase_ != Phase::Open) return;
  if (route_->behavior.settings.backpressure_policy == LimitPolicy::Close) {
    LoopMetrics::add(server().metrics().backpressure_closes);
    return fail_with_close(close_code::policy_violation, "backpressure limit");
  }
  LoopMetrics::add(server().metrics().dropped);
  route_->dropped.fetch_add(1, std::memory_order_relaxed);
  event_log::dropped(route_->pattern);
  if (route_->behavior.dropped) route_->behavior.dropped(*this, message, op);
}

void Connection::on_drained() {
  if (!drain_wanted_ || phase_ != Phase::Open) return;
  drain_wanted_ = false;
  Answering answering(*this);
  if (route_->behavior.drain) route_->behavior.drain(*this);
}

// ---- closing -----------------------------------------------------------------------------------

void Connection::check_closable(int code, std::string_view reason) {
  if (const std::string why = protocol::unclosable_reason(code, reason); !why.empty()) {
    throw std::invalid_argument(why);
  }
}

void Connection::close(int code, std::string_view reason) {
  check_closable(code, reason);
  if (phase_ == Phase::Open) fail_with_close(code, reason);
}

void Connection::fail_with_close(int code, std::string_view reason) {
  std::uint8_t payload[protocol::max_control_payload];
  const std::size_t size = protocol::write_close_payload(payload, code, reason);
  write_frame(OpCode::Close, {reinterpret_cast<const char*>(payload), size});
  enter_closed(code, reason, ClosedBy::server);
  shutdown_write();  // the RFC wants the server to end TCP first; the peer's close reply is read
}

void Connection::terminate() {
  if (phase_ == Phase::Open) enter_closed(close_code::abnormal, {}, ClosedBy::server);
  finish();
}

// The socket becomes closed(): the close handler runs once, then the user data goes.
void Connection::count_sent(std::size_t bytes) {
  LoopMetrics::add(server().metrics().messages_out);
  LoopMetrics::add(server().metrics().bytes_out, bytes);
  if (ClientRecord* record = client()) record->sent(bytes);
}

void Connection::enter_closed(int code, std::string_view reason, ClosedBy by) {
  server().metrics().closed(code);
  event_log::closed(route_->pattern, fd(), client(), code, reason, by,
                    ticks_to_ms(current_tick() - opened_tick_));
  phase_ = Phase::Closing;
  schedule(route_->behavior.settings.close_timeout);
  if (route_->behavior.close) route_->behavior.close(*this, code, reason);
  if (extras_) {
    if (extras_->handle) *extras_->handle = nullptr;
    server().topics().unsubscribe_all(*this, extras_->subscriptions);
    extras_->kept.reset();  // releases what middleware held for the socket (e.g. a limit's slot)
  }
  unregister_client();
  if (user_data_) {
    destroy_user_data(route_->user_data, user_data_);
    user_data_ = nullptr;
  }
}

void Connection::on_end() {
  if (phase_ == Phase::Open) enter_closed(close_code::abnormal, {}, ClosedBy::lost);
  finish();
}

void Connection::go_away(const ShutdownOptions& options) {
  if (phase_ == Phase::Http) return finish();
  if (phase_ != Phase::Open) return;
  if (!options.message.empty()) send(options.message, OpCode::Text, true);
  if (phase_ == Phase::Open) fail_with_close(options.code, options.reason);
}

void Connection::finish() {
  if (phase_ == Phase::Done) return;
  phase_ = Phase::Done;
  http_.reset();  // a decision still to come finds the connection gone
  loop().timers().cancel(*this);
  close_fd();
  server().remove(*this);
  loop().retire(this);
}

// ---- timers ------------------------------------------------------------------------------------

void Connection::on_timer(net::TimerNode& node) {
  auto& self = static_cast<Connection&>(node);
  if (self.phase_ == Phase::Open) return self.check_deadlines();
  // A download that moves is no idle connection; a peer that stopped taking it is.
  if (self.file_progressed()) return self.schedule(server().options().handshake_timeout);
  self.finish();  // handshake too slow, or the peer never hung up after our close
}

// One timer serves every deadline of an open socket: it is set for the nearest, and each firing
// re-reads the ticks that activity stamped (one store per read or message, no timer moves).
void Connection::check_deadlines() {
  const WebSocketSettings& settings = route_->behavior.settings;
  const std::uint32_t now = current_tick();
  const auto since = [&](std::uint32_t tick) { return ticks_to_ms(now - tick); };
  if (on(settings.max_lifetime) && since(opened_tick_) >= settings.max_lifetime) {
    return fail_with_close(close_code::going_away, "max lifetime reached");
  }
  if (on(settings.max_lifetime) && !warned_ &&
      since(opened_tick_) >= settings.max_lifetime - settings.lifetime_warning) {
    warned_ = true;
    Answering answering(*this);
    if (route_->behavior.expiring) route_->behavior.expiring(*this);
    if (phase_ != Phase::Open) return;
  }
  if (on(settings.idle_timeout) && since(last_message_tick_) >= settings.idle_timeout) {
    return fail_with_close(close_code::going_away, "idle timeout");
  }
  // Nothing arrived since the ping (any byte clears awaiting_pong_), so the ping went out
  // ping_interval after the last activity, give or take a tick.
  if (awaiting_pong_ &&
      since(last_activity_tick_) >= settings.ping_interval + settings.pong_timeout) {
    return fail_with_close(close_code::internal_error, "keepalive ping timeout");
  }
  if (on(settings.ping_interval) && !awaiting_pong_ &&
      since(last_activity_tick_) >= settings.ping_interval) {
    write_frame(OpCode::Ping, {});
    awaiting_pong_ = true;
  }
  schedule_next_deadline();
}

void Connection::schedule_next_deadline() {
  const WebSocketSettings& settings = route_->behavior.settings;
  const std::uint32_t now = current_tick();
  milliseconds next = milliseconds::max();
  const auto consider = [&](bool active, std::uint32_t from, milliseconds after) {
    if (active) next = std::min(next, after - ticks_to_ms(now - from));
  };
  consider(on(settings.max_lifetime) && !warned_, opened_tick_,
           settings.max_lifetime - settings.lifetime_warning);
  consider(on(settings.max_lifetime), opened_tick_, settings.max_lifetime);
  consider(on(settings.idle_timeout), last_message_tick_, settings.idle_timeout);
  consider(awaiting_pong_, last_activity_tick_, settings.ping_interval + settings.pong_timeout);
  consider(on(settings.ping_interval) && !awaiting_pong_, last_activity_tick_,
           settings.ping_interval);
  if (next == milliseconds::max()) return loop().timers().cancel(*this);
  schedule(std::max(next, milliseconds(1)));
}

}  // namespace wisp::server
