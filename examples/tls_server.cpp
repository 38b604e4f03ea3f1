// https and wss beside plain http and ws in one App: the same routes on both ports, a second
// certificate chosen by SNI, and SIGHUP reading the certificate files again without dropping
// anyone (new connections get the new certificate).
//
//   example_tls_server PORT CERT KEY [SNI_HOST SNI_CERT SNI_KEY]
//     prints "listening on 127.0.0.1:PORT" (ws://, http://), then "tls on 127.0.0.1:P" (wss://)
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "wisp/wisp.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: example_tls_server PORT CERT KEY [SNI_HOST SNI_CERT SNI_KEY]\n";
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  std::vector<wisp::TlsServerName> server_names;
  if (argc >= 7)
    server_names.push_back({.hostname = argv[4], .cert_file = argv[5], .key_file = argv[6]});

  wisp::App app;
  app.ws("/echo", {.message = [](wisp::WebSocket& ws, std::string_view message, wisp::OpCode op) {
           ws.send(message, op);
         }});
  app.get("/hello", [](wisp::Request&, wisp::Response& res) { res.text("Hello world!"); });
  try {
    app.listen("127.0.0.1", port)  // ws:// and http://
        .listen("127.0.0.1", 0,
                {.cert_file = argv[2],
                 .key_file = argv[3],
                 .server_names = server_names});  // wss:// and https://
  } catch (const std::runtime_error& bad_file) {  // names the file: missing, unreadable, no match
    std::cerr << bad_file.what() << std::endl;
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << app.ports()[0] << "\n"
            << "tls on 127.0.0.1:" << app.ports()[1] << std::endl;
  app.reload_on_sighup().stop_on_signals().run();  // kill -HUP PID: the files are read again
}
