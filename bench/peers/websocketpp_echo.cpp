// websocketpp echo server for wisp's benchmarks: Asio transport, no TLS, one thread, any path.
// Every message comes back with its own opcode. Usage: websocketpp_echo PORT
#include <cstdlib>
#include <iostream>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using Server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
  auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 9001);
  Server server;
  // Logging costs far more than echoing; benchmarks measure the echo.
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  server.set_max_message_size(16 * 1024 * 1024);
  server.set_listen_backlog(1024);
  server.set_open_handler([&server](websocketpp::connection_hdl hdl) {
    boost::system::error_code ec;  // echoes must not wait on Nagle's algorithm
    server.get_con_from_hdl(hdl)->get_raw_socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                              ec);
  });
  server.set_message_handler([&server](websocketpp::connection_hdl hdl, Server::message_ptr msg) {
    websocketpp::lib::error_code ec;
    server.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
  });
  server.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  server.start_accept();
  std::cout << "websocketpp_echo: listening on 127.0.0.1:" << port << std::endl;
  server.run();
}
