// A real redis-server for a test: started on a free loopback port (or a unix socket in a temp
// dir) at construction, stopped by its PID at destruction; killable and restartable on the same
// port to test faults. RedisClient: a blocking hiredis connection for the test's own checks.
#pragma once

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace wisp::test {

class RedisClient {
 public:
  // Throws std::runtime_error when it cannot connect (and log in) within a second.
  RedisClient(const std::string& host, std::uint16_t port, const std::string& password = {}) {
    timeval timeout{1, 0};
    context_ = redisConnectWithTimeout(host.c_str(), port, timeout);
    check_connected();
    if (!password.empty()) command({"AUTH", password});
  }
  explicit RedisClient(const std::string& unix_path) {
    timeval timeout{1, 0};
    context_ = redisConnectUnixWithTimeout(unix_path.c_str(), timeout);
    check_connected();
  }
  ~RedisClient() {
    if (context_ != nullptr) redisFree(context_);
  }
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // The reply as text (a string, a status, an integer, an error), nullopt for nil.
  std::optional<std::string> command(std::vector<std::string_view> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (auto arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) throw std::runtime_error("redis: " + std::string(context_->errstr));
    std::optional<std::string> text;
    if (reply->type == REDIS_REPLY_INTEGER)
      text = std::to_string(reply->integer);
    else if (reply->type == REDIS_REPLY_ARRAY)
      text = std::to_string(reply->elements);  // the number of elements
    else if (reply->type != REDIS_REPLY_NIL)
      text = std::string(reply->str, reply->len);
    freeReplyObject(reply);
    return text;
  }
  long long integer(std::vector<std::string_view> args) {
    return std::stoll(command(std::move(args)).value_or("0"));
  }
  // PUBSUB NUMSUB's (or SHARDNUMSUB's) count for one channel.
  long long subscribers(std::string_view channel, bool sharded = false) {
    std::string_view args[] = {"PUBSUB", sharded ? "SHARDNUMSUB" : "NUMSUB", channel};
    const char* argv[] = {args[0].data(), args[1].data(), args[2].data()};
    std::size_t lengths[] = {args[0].size(), args[1].size(), args[2].size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(context_, 3, argv, lengths));
    if (reply == nullptr) throw std::runtime_error("redis: " + std::string(context_->errstr));
    long long count =
        reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 ? reply->element[1]->integer : -1;
    freeReplyObject(reply);
    return count;
  }

 private:
  void check_connected() {
    if (context_ == nullptr || context_->err != 0) {
      std::string why = context_ != nullptr ? context_->errstr : "out of memory";
      if (context_ != nullptr) redisFree(context_);
      context_ = nullptr;
      throw std::runtime_error("redis connect: " + why);
    }
  }
  redisContext* context_ = nullptr;
};

struct RedisServerOptions {
  std::string password;      // --requirepass
  bool unix_socket = false;  // also listen on a unix socket in a temp dir
};

class RedisServer {
 public:
  using Options = RedisServerOptions;

  explicit RedisServer(Options options = {}) : options_(std::move(options)), port_(free_port()) {
    char pattern[] = "/tmp/wisp-redis-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    start();
  }
  ~RedisServer() {
    stop(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string unix_path() const { return dir_ + "/redis.sock"; }
  // redis://[:password@]127.0.0.1:port[/db]
  std::string url(unsigned db = 0) const {
    std::string url = "redis://";
    if (!options_.password.empty()) url += ":" + options_.password + "@";
    url += "127.0.0.1:" + std::to_string(port_);
    if (db != 0) url += "/" + std::to_string(db);
    return url;
  }
  RedisClient client() const { return RedisClient("127.0.0.1", port_, options_.password); }

  // (Re)starts it on its port, and waits (at most 10 s) until it answers.
  void start() {
    std::vector<std::string> args = {"redis-server",
                                     "--bind",
                                     "127.0.0.1",
                                     "--port",
                                     std::to_string(port_),
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     dir_ + "/redis.log"};
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    if (options_.unix_socket)
      args.insert(args.end(), {"--unixsocket", unix_path(), "--unixsocketperm", "700"});
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot run redis-server");
    wait_until_up();
  }
  // SIGKILL: a crash, nothing written back.
  void kill() { stop(SIGKILL); }
  // SIGSTOP / SIGCONT: a server that stops answering, its connections open, and comes back.
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::kill(pid_, SIGCONT);  // a paused server acts on the signal only once it runs
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  static std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ::close(fd);
      throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
  }

  // Polls with PING: a process starting has no event to wait on. Bounded: throws after 10 s.
  void wait_until_up() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (client().command({"PING"}) == "PONG") return;
      } catch (const std::runtime_error&) {
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not come up in 10 s");
  }

  Options options_;
  std::uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace wisp::test
