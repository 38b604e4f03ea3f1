// The `wisp` program. `wisp serve` runs the demo server: /echo sends every message back.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <thread>

#include "wisp/wisp.hpp"

namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  std::size_t max_message_size = 16 * 1024 * 1024;
};

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void add_echo(wisp::App& app, const ServeOptions& options) {
  app.ws("/echo", {
                      .settings = {.max_message_size = options.max_message_size},
                      .message = [](wisp::WebSocket& ws, std::string_view message,
                                    wisp::OpCode op) { ws.send(message, op); },
                  });
}

// SIGINT and SIGTERM are blocked in every thread and taken by one waiting thread, which stops
// the app cleanly: clients get close 1001 and run() returns.
int serve(const ServeOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  wisp::App app({.threads = options.threads});
  add_echo(app, options);
  app.listen(options.host, options.port);
  const std::string base = url_host(options.host) + ":" + std::to_string(app.port());
  std::cout << "wisp serve: listening on " << base << "\n"
            << "  ws://" << base << "/echo   every message comes back with its opcode\n"
            << "  Ctrl-C stops the server" << std::endl;

  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    app.stop();
  });
  app.run();
  signal_waiter.join();
  std::cout << "wisp serve: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"wisp: a real-time WebSocket server framework"};
  cli.require_subcommand(1);
  ServeOptions options;
  CLI::App* serve_command = cli.add_subcommand("serve", "Run the demo server (/echo)");
  serve_command->add_option("--host", options.host, "Address to listen on")->capture_default_str();
  serve_command->add_option("--port", options.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  serve_command->add_option("--threads", options.threads, "Event-loop threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  serve_command
      ->add_option("--max-message-size", options.max_message_size,
                   "Largest message accepted, in bytes (bigger: close 1009)")
      ->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  try {
    if (serve_command->parsed()) return serve(options);
  } catch (const std::exception& error) {
    std::cerr << "wisp: " << error.what() << std::endl;
    std::_Exit(1);  // the signal thread may still be waiting; nothing is left to clean up
  }
  return 0;
}
