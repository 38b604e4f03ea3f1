#include "broker/redis_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "broker/broker_log.hpp"

namespace wisp::broker {

RedisConnection::RedisConnection(net::EventLoop& loop, RedisEndpoint endpoint, Retry retry,
                                 Events events, std::atomic<std::uint64_t>& reconnects)
    : loop_(loop),
      endpoint_(std::move(endpoint)),
      retry_(retry),
      events_(std::move(events)),
      retry_timer_([this] {
        reconnects_.fetch_add(1, std::memory_order_relaxed);
        connect();
      }),
      connect_timer_([this] { fail("connection attempt timed out"); }),
      reconnects_(reconnects),
      rng_(std::random_device{}()) {}

RedisConnection::~RedisConnection() { close(); }

void RedisConnection::open() {
  if (state_ == State::closed) connect();
}

void RedisConnection::close() {
  state_ = State::closed;
  retry_timer_.cancel();
  teardown();
}

void RedisConnection::reset(std::string_view why) {
  if (ctx_ != nullptr) fail(why);
}

void RedisConnection::connect() {
  state_ = State::connecting;
  redisContext* c = endpoint_.unix_path.empty()
                        ? redisConnectNonBlock(endpoint_.host.c_str(), endpoint_.port)
                        : redisConnectUnixNonBlock(endpoint_.unix_path.c_str());
  if (c == nullptr || c->err != 0) {
    last_error_ = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    schedule_retry();
    return;
  }
  if (endpoint_.unix_path.empty()) redisEnableKeepAlive(c);
  try {
    loop_.add(c->fd, *this, EPOLLIN | EPOLLOUT);
  } catch (const std::system_error& error) {  // out of epoll resources: try again later
    last_error_ = error.what();
    redisFree(c);
    schedule_retry();
    return;
  }
  ctx_ = c;
  write_armed_ = true;
  connect_timer_.schedule(loop_.timers(), retry_.connect_timeout);
}

void RedisConnection::on_poll(std::uint32_t events) {
  redisContext* c = ctx_;
  if (c == nullptr) return;  // torn down earlier in this batch of events
  if (state_ == State::connecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) check_connected();
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    read_replies();
    if (ctx_ != c) return;
  }
  if (events & EPOLLOUT) write_out();
}

void RedisConnection::check_connected() {
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(ctx_->fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error != 0) return fail(std::strerror(error));
  handshake();
}

// AUTH and SELECT when the URL asks for them, then PING: the connection is ready when the
// server has answered all of them (a wrong password fails the attempt, and it is retried).
void RedisConnection::handshake() {
  state_ = State::handshaking;
  auto check = [this](const redisReply* reply) {
    if (reply == nullptr) return;
    if (reply->type == REDIS_REPLY_ERROR) fail(std::string_view(reply->str, reply->len));
  };
  if (!endpoint_.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
    auth.push_back(endpoint_.password);
    append(auth);
    waiting_.push_back(check);
  }
  if (endpoint_.db != 0) {
    std::string db = std::to_string(endpoint_.db);
    std::string_view select[] = {"SELECT", db};
    append(select);
    waiting_.push_back(check);
  }
  std::string_view ping[] = {"PING"};
  append(ping);
  waiting_.push_back([this](const redisReply* reply) {
    if (reply == nullptr || state_ != State::handshaking) return;
    if (reply->type == REDIS_REPLY_ERROR) return fail(std::string_view(reply->str, reply->len));
    connect_timer_.cancel();
    state_ = State::ready;
    failures_ = 0;
    last_error_.clear();
    if (events_.ready) events_.ready();
  });
  want_write(true);
}

void RedisConnection::fail(std::string_view why) {
  bool was_ready = state_ == State::ready;
  last_error_ = std::string(why);
  if (was_ready) broker_log::lost(endpoint_, why);
  teardown();
  schedule_retry();
  if (was_ready && events_.lost) events_.lost();
}

// Closes the socket; the commands still waiting learn it with nullptr (after the state changed,
// so that a callback sending a new command gets nullptr too instead of a dead socket).
void RedisConnection::teardown() {
  connect_timer_.cancel();
  if (state_ != State::closed) state_ = State::waiting;
  if (ctx_ != nullptr) {
    loop_.remove(ctx_->fd);
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  write_armed_ = false;
  std::deque<Reply> orphans;
  orphans.swap(waiting_);
  for (auto& done : orphans)
    if (done) done(nullptr);
}

void RedisConnection::schedule_retry() {
  if (state_ == State::closed) return;
  state_ = State::waiting;
  // Full jitter: anywhere between the minimum and an exponentially growing ceiling.
  auto ceiling = retry_.min.count() << std::min(failures_, 20u);
  ceiling = std::clamp<long long>(ceiling, retry_.min.count(), retry_.max.count());
  std::uniform_int_distribution<long long> pick(std::min<long long>(retry_.min.count(), ceiling),
                                                ceiling);
  ++failures_;
  const std::chrono::milliseconds delay(pick(rng_));
  broker_log::retrying(endpoint_, last_error_, delay, failures_);
  retry_timer_.schedule(loop_.timers(), delay);
}

// One read of up to the loop's whole buffer, handed to hiredis' reader in slices: the reader
// moves its unparsed rest to the front whenever 1 KiB has been parsed, so a big feed would be
// moved again and again (quadratic); a slice bounds each move.
void RedisConnection::read_replies() {
  redisContext* c = ctx_;
  ssize_t got = ::read(c->fd, loop_.read_buffer(), net::EventLoop::read_buffer_size);
  if (got == 0) return fail("Redis closed the connection");
  if (got < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) fail(std::strerror(errno));
    return;
  }
  last_read_ = loop_.now();
  constexpr std::size_t slice = 4096;
  const char* bytes = reinterpret_cast<const char*>(loop_.read_buffer());
  for (std::size_t at = 0; at < static_cast<std::size_t>(got) && ctx_ == c; at += slice) {
    redisReaderFeed(c->reader, bytes + at, std::min(slice, static_cast<std::size_t>(got) - at));
    parse_replies(c);
  }
}

void RedisConnection::parse_replies(redisContext* c) {
  while (ctx_ == c) {
    void* reply = nullptr;
    if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) return fail("bad reply from Redis");
    if (reply == nullptr) return;
    dispatch(*static_cast<redisReply*>(reply));
    freeReplyObject(reply);
  }
}

void RedisConnection::dispatch(const redisReply& reply) {
  if (waiting_.empty()) {
    if (events_.push) events_.push(reply);
    return;
  }
  Reply done = std::move(waiting_.front());
  waiting_.pop_front();
  if (done) done(&reply);
}

void RedisConnection::write_out() {
  int done = 0;
  if (redisBufferWrite(ctx_, &done) != REDIS_OK) return fail(ctx_->errstr);
  if (done) want_write(false);
}

void RedisConnection::flush_now() {
  if (ctx_ != nullptr && write_armed_ && state_ != State::connecting) write_out();
}

void RedisConnection::command(std::span<const std::string_view> args, Reply done) {
  if (state_ != State::ready) {
    if (done) done(nullptr);
    return;
  }
  append(args);
  waiting_.push_back(std::move(done));
  want_write(true);
}

void RedisConnection::push_command(std::span<const std::string_view> args) {
  if (state_ != State::ready) return;
  append(args);
  want_write(true);
}

void RedisConnection::append(std::span<const std::string_view> args) {
  argv_.clear();
  argv_len_.clear();
  for (auto arg : args) {
    argv_.push_back(arg.data());
    argv_len_.push_back(arg.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv_.data(), argv_len_.data());
}

void RedisConnection::want_write(bool on) {
  if (write_armed_ == on || ctx_ == nullptr) return;
  write_armed_ = on;
  loop_.modify(ctx_->fd, *this, on ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

}  // namespace wisp::broker
