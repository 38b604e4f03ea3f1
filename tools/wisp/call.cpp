// `wisp call SERVICE ACTION JSON [--redis URL] [--timeout S]`: calls a service action over Redis
// (any process offering it: a wisp app's App::action, or another language speaking the format)
// and prints its answer as JSON. Exit status: 0 answered, 1 the action failed (its error on
// stderr), 2 the command line or the JSON is wrong, 3 no node answered in time, 4 Redis could not
// be reached in time.
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "broker/service_actions.hpp"
#include "commands.hpp"
#include "net/event_loop.hpp"
#include "wisp/log.hpp"

namespace wisp::tool {
namespace {

struct CallOptions {
  std::string service;
  std::string action;
  std::string payload;
  std::string redis = "redis://127.0.0.1:6379";
  double timeout = 5;  // seconds
};

int exit_status(ActionResult::Status status) {
  switch (status) {
    case ActionResult::Status::ok:
      return 0;
    case ActionResult::Status::failed:
      return 1;
    case ActionResult::Status::timeout:
      return 3;
    case ActionResult::Status::unavailable:
      return 4;
  }
  return 1;
}

int call(const CallOptions& options) {
  json payload = json::parse(options.payload, nullptr, false);
  if (payload.is_discarded()) {
    std::cerr << "wisp call: the payload is not JSON: " << options.payload << std::endl;
    return 2;
  }
  set_log_level(LogLevel::warn);  // a one-shot command: its own words, and wisp's warnings only
  RedisOptions redis;
  redis.url = options.redis;
  std::unique_ptr<broker::ServiceActions> made;
  try {
    made = std::make_unique<broker::ServiceActions>(redis, "");
  } catch (const std::invalid_argument& error) {
    std::cerr << "wisp call: " << error.what() << std::endl;
    return 2;
  }
  broker::ServiceActions& actions = *made;
  net::EventLoop loop;
  int status = 1;
  actions.start(loop);
  auto timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout * 1000));
  actions.call(options.service, options.action, std::move(payload), timeout,
               [&](ActionResult result) {
                 status = exit_status(result.status);
                 if (result.ok())
                   std::cout << result.result.dump(-1, ' ', false, json::error_handler_t::replace)
                             << std::endl;
                 else
                   std::cerr << "wisp call: " << result.error << std::endl;
                 loop.stop();
               });
  loop.run();
  actions.stop();
  return status;
}

}  // namespace

Command add_call_command(CLI::App& cli) {
  auto options = std::make_shared<CallOptions>();
  CLI::App* command = cli.add_subcommand(
      "call",
      "Call a service action over Redis and print its answer (exit 0 answered, 1 failed, "
      "2 bad arguments, 3 timeout, 4 Redis unreachable)");
  command->add_option("service", options->service, "The service offering the action")->required();
  command->add_option("action", options->action, "The action's name")->required();
  command->add_option("payload", options->payload, "The action's payload, JSON")->required();
  command->add_option("--redis", options->redis, "Redis URL")->capture_default_str();
  command->add_option("--timeout", options->timeout, "Seconds to wait for the answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return {command, [options] { return call(*options); }};
}

}  // namespace wisp::tool
