// The smallest wisp server: every message comes back with its opcode.
//
//   example_echo_server [port]      then connect to ws://127.0.0.1:PORT/echo
#include <cstdlib>
#include <iostream>

#include "wisp/wisp.hpp"

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  app.ws("/echo", {
                      .message = [](wisp::WebSocket& ws, std::string_view message,
                                    wisp::OpCode op) { ws.send(message, op); },
                  });
  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();  // Ctrl-C: every client gets close 1001, then run() returns
}
