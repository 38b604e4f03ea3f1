// `wisp client URL`: a WebSocket session on the terminal (like wscat). Each stdin line is sent as
// a message and each message received is printed on stdout, one a line. With --hub a line is
// `type json` (or just `type`) and goes as the event hub's envelope {"type":...,"data":...}; with
// --echo every message also goes back to the server, and stdin is not read (the session lasts
// until the server closes).
// Exit status: 0 after a normal close (stdin ended, or the server closed with 1000, 1001 or no
// code), 1 when the connection could not be made (why on stderr: for a refused handshake, the
// status and body the server gave), 2 for a bad command line or --hub line, 3 when the server
// closed with another code or the connection dropped.
#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "wisp/client.hpp"

namespace wisp::tool {
namespace {

struct ClientOptions {
  std::string url;
  bool binary = false;
  bool hub = false;
  bool echo = false;
  bool no_compression = false;
  std::vector<std::string> headers;
  std::vector<std::string> subprotocols;
  std::string ca_file;
  bool insecure = false;
};

// What the loop thread tells the main thread; `wake` is a pipe the main thread polls with stdin.
struct Session {
  std::mutex mutex;
  // Loop thread only: the socket while open; lines read before it opened; whether stdin ended
  // before it opened.
  ClientSocket* socket = nullptr;
  bool opened = false;
  std::vector<std::pair<std::string, OpCode>> early;
  bool close_at_open = false;

  void send(std::string message, OpCode op) {
    if (socket) {
      socket->send(message, op);
    } else if (!opened) {
      early.emplace_back(std::move(message), op);
    }
  }
  std::optional<int> exit_status;  // set once the session is over
  int wake[2] = {-1, -1};

  void end(int status) {
    std::lock_guard lock(mutex);
    if (exit_status) return;
    exit_status = status;
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake[1], &byte, 1);
  }
  std::optional<int> ended() {
    std::lock_guard lock(mutex);
    return exit_status;
  }
};

std::vector<std::pair<std::string, std::string>> parse_headers(
    const std::vector<std::string>& raw) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::string& line : raw) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("--header wants 'Name: value'");
    const std::size_t value = line.find_first_not_of(' ', colon + 1);
    headers.emplace_back(line.substr(0, colon),
                         value == std::string::npos ? "" : line.substr(value));
  }
  return headers;
}

// "type json" -> {"type": type, "data": json}; "type" alone has no data.
std::optional<std::string> hub_envelope(const std::string& line) {
  const std::size_t space = line.find(' ');
  nlohmann::json envelope = {{"type", line.substr(0, space)}};
  if (space != std::string::npos) {
    nlohmann::json data = nlohmann::json::parse(line.substr(space + 1), nullptr, false);
    if (data.is_discarded()) return std::nullopt;
    envelope["data"] = std::move(data);
  }
  return envelope.dump();
}

ClientHandlers handlers(Session& session, bool echo) {
  return {
      .open =
          [&session](ClientSocket& socket) {
            session.socket = &socket;
            session.opened = true;
            for (const auto& [message, op] : session.early) socket.send(message, op);
            session.early.clear();
            if (session.close_at_open) socket.close();
          },
      .message =
          [echo](ClientSocket& socket, std::string_view message, OpCode op) {
            if (echo) socket.send(message, op);
            std::cout.write(message.data(), static_cast<std::streamsize>(message.size()));
            std::cout << std::endl;
          },
      .close =
          [&session](ClientSocket&, int code, std::string_view reason) {
            session.socket = nullptr;
            const bool normal = code == close_code::normal || code == close_code::going_away ||
                                code == close_code::no_status;
            if (!normal) std::cerr << "wisp client: closed: " << code << " " << reason << std::endl;
            session.end(normal ? 0 : 3);
          },
      .fail =
          [&session](const ConnectError& error) {
            std::cerr << "wisp client: " << error.message << std::endl;
            if (!error.body.empty()) std::cerr << error.body << std::endl;
            session.end(1);
          },
  };
}

int wait_for_end(Session& session) {
  pollfd wake = {.fd = session.wake[0], .events = POLLIN, .revents = 0};
  while (!session.ended()) ::poll(&wake, 1, -1);
  return *session.ended();
}

// Sends each complete stdin line; at the end of stdin, closes with 1000.
int pump_stdin(Client& client, Session& session, const ClientOptions& options) {
  std::string pending;
  char buffer[64 * 1024];
  while (true) {
    pollfd fds[2] = {{.fd = 0, .events = POLLIN, .revents = 0},
                     {.fd = session.wake[0], .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return 1;
    if (auto status = session.ended()) return *status;
    if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n > 0) pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (options.hub) {
        std::optional<std::string> envelope = hub_envelope(line);
        if (!envelope) {
          std::cerr << "wisp client: not `type json`: " << line << std::endl;
          return 2;
        }
        line = std::move(*envelope);
      }
      const OpCode op = options.binary ? OpCode::Binary : OpCode::Text;
      client.post(
          [&session, line = std::move(line), op]() mutable { session.send(std::move(line), op); });
    }
    if (n <= 0) break;  // stdin ended: a last line without a newline is sent too
  }
  if (!pending.empty()) {
    client.post([&session, pending, binary = options.binary]() mutable {
      session.send(std::move(pending), binary ? OpCode::Binary : OpCode::Text);
    });
  }
  client.post([&session] {
    if (session.socket) return session.socket->close();
    session.close_at_open = true;  // if it still opens; if it closed already, it ended already
  });
  return wait_for_end(session);
}

int run_client(const ClientOptions& options) {
  Session session;
  if (::pipe(session.wake) < 0) return 1;
  int status;
  {
    Client client;
    client.connect(options.url, handlers(session, options.echo),
                   {.subprotocols = options.subprotocols,
                    .headers = parse_headers(options.headers),
                    .compression = !options.no_compression,
                    .ca_file = options.ca_file,
                    .insecure = options.insecure});
    status = options.echo ? wait_for_end(session) : pump_stdin(client, session, options);
  }  // the client's loop ends here, before `session` goes
  ::close(session.wake[0]);
  ::close(session.wake[1]);
  return status;
}

}  // namespace

Command add_client_command(CLI::App& cli) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* app = cli.add_subcommand("client", "Connect to a WebSocket server (stdin/stdout)");
  app->add_option("url", options->url, "ws:// or wss:// URL")->required();
  app->add_flag("--binary", options->binary, "Send each line as a binary message");
  app->add_flag("--hub", options->hub, "Lines are `type json`, sent as hub envelopes");
  app->add_flag("--echo", options->echo,
                "Also send every message back; stdin is not read, the session lasts until the "
                "server closes (the Autobahn|Testsuite's client mode)");
  app->add_option("-H,--header", options->headers, "Extra request header 'Name: value'");
  app->add_option("--subprotocol", options->subprotocols, "Offer a subprotocol (repeatable)");
  app->add_option("--ca-file", options->ca_file, "Trust the CA certificates in this PEM file");
  app->add_flag("--insecure", options->insecure, "Do not verify the server's certificate");
  app->add_flag("--no-compression", options->no_compression, "Do not offer permessage-deflate");
  return {app, [options] {
            try {
              return run_client(*options);
            } catch (const std::invalid_argument& error) {
              std::cerr << "wisp client: " << error.what() << std::endl;
              return 2;
            }
          }};
}

}  // namespace wisp::tool
