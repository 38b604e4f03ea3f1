// HTTP long-polling: a GET opens a session (the open packet) or waits for what the server has
// to say; a POST carries the client's packets. Errors are Engine.IO's JSON with status 400.
#include "socketio/handshake.hpp"
#include "socketio/server.hpp"
#include "socketio/transports.hpp"

namespace wisp::detail {
namespace {

using socketio::EioError;
using socketio::EioType;

void add_cors(const SocketIoServer& server, Response& res) {
  if (server.settings.cors_origin.empty()) return;
  res.header("Access-Control-Allow-Origin", server.settings.cors_origin);
  res.header("Access-Control-Allow-Credentials", "true");
}

void answer_error(const SocketIoServer& server, Response& res, EioError error, int status = 400) {
  add_cors(server, res);
  res.status(status).json(socketio::error_json(error));
}

// The checks both methods share; false once answered with an error.
bool check(SocketIoServer& server, Request& req, Response& res) {
  const auto error =
      check_request(req.query("EIO"), req.query("transport"), "polling", server.settings.polling);
  if (!error) return true;
  ++server.stats.refused;
  answer_error(server, res, *error);
  return false;
}

void handshake(SocketIoServer& server, Request& req, Response& res) {
  Session* session = server.open_session(Transport::Polling, {});
  if (!session) return answer_error(server, res, EioError::Forbidden, 503);
  session->query = parse_query(req.query());
  for (std::string_view name : kKeptHeaders) {
    if (auto value = req.header(name); !value.empty()) session->headers.emplace_back(name, value);
  }
  const auto& s = server.settings;
  add_cors(server, res);
  res.text(socketio::encode_packet(
      EioType::Open, socketio::open_json(session->sid, s.websocket, s.ping_interval.count(),
                                         s.ping_timeout.count(), s.max_payload)));
}

// The session a request names, or nullptr once answered with an error.
Session* session_of(SocketIoServer& server, Request& req, Response& res) {
  Session* session = server.find(req.query("sid").value_or(""));
  if (!session) {
    answer_error(server, res, EioError::UnknownSid);
  } else if (session->transport != Transport::Polling) {
    answer_error(server, res, EioError::BadRequest);
    return nullptr;
  }
  return session;
}

void poll(SocketIoServer& server, Request& req, Response& res) {
  SocketIoServer::Guard guard(server);
  if (!check(server, req, res)) return;
  if (!req.query("sid")) return handshake(server, req, res);
  Session* session = session_of(server, req, res);
  if (!session) return;
  if (session->poll) {  // two GETs at once: engine.io closes the session ("overlap from client")
    answer_error(server, res, EioError::BadRequest);
    return server.close_session(*session, "transport error");
  }
  add_cors(server, res);
  session->poll.emplace(res.defer());
  session->poll_since = Clock::now();
  server.flush_poll(*session);
}

void post(SocketIoServer& server, Request& req, Response& res) {
  SocketIoServer::Guard guard(server);
  if (!check(server, req, res)) return;
  if (!req.query("sid")) return answer_error(server, res, EioError::BadHandshakeMethod);
  Session* session = session_of(server, req, res);
  if (!session) return;
  if (req.body().size() > server.settings.max_payload) {
    add_cors(server, res);
    res.status(413).text("Payload Too Large");
    return server.close_session(*session, "transport error");
  }
  auto packets = socketio::decode_payload(req.body());
  if (!packets) {
    ++server.stats.parse_errors;
    answer_error(server, res, EioError::BadRequest);
    return server.close_session(*session, "parse error");
  }
  for (const auto& packet : *packets) {
    if (session->closed) break;
    server.receive(*session, packet);
  }
  add_cors(server, res);
  res.header("Content-Type", "text/html").text("ok");
}

void preflight(SocketIoServer& server, Response& res) {
  add_cors(server, res);
  res.header("Access-Control-Allow-Methods", "GET, POST");
  res.header("Access-Control-Allow-Headers", "Content-Type");
  res.status(204).text("");
}

}  // namespace

void add_polling_routes(const std::shared_ptr<SocketIoServer>& server) {
  App& app = server->app;
  app.get(server->path, [server](Request& req, Response& res) { poll(*server, req, res); });
  app.post(server->path, [server](Request& req, Response& res) { post(*server, req, res); });
  if (!server->settings.cors_origin.empty()) {
    app.route("OPTIONS", server->path,
              [server](Request&, Response& res) { preflight(*server, res); });
  }
}

}  // namespace wisp::detail
