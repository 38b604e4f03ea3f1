// The connection's upgrade: the handshake check, the route, the app's upgrade middleware and the
// route's hook (each may decide now or later, from any thread), then the 101 and the open socket.
#include "protocol/handshake.hpp"
#include "server/connection.hpp"
#include "server/http_exchange.hpp"
#include "server/http_types.hpp"
#include "server/loop_server.hpp"
#include "server/upgrade_flow.hpp"

namespace wisp::server {
namespace {

LoopServer& server() { return LoopServer::current(); }

// Every Sec-WebSocket-Extensions field of the request as one list (RFC 9110 §5.3).
std::string joined_extensions(const protocol::HttpRequest& request) {
  std::string joined;
  for (const auto& header : request.headers) {
    if (!protocol::iequals(header.name, "sec-websocket-extensions")) continue;
    if (!joined.empty()) joined.append(", ");
    joined.append(header.value);
  }
  return joined;
}

std::string header_lines(const HttpHeaders& headers) {
  std::string lines;
  for (const auto& [name, value] : headers) lines.append(name).append(": ").append(value) += "\r\n";
  return lines;
}

}  // namespace

void Connection::upgrade(const protocol::HttpRequest& request, std::string_view head,
                         std::string_view rest) {
  const protocol::UpgradeCheck check = protocol::check_upgrade(request);
  if (!check.ok()) {
    return reject(check.status, check.reason,
                  check.status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
  }
  const Router::Match match = server().router().match(request.path, http_->params);
  if (match.status == RouteStatus::BadRequest) {
    return reject(400, "invalid percent-encoding in the path");
  }
  if (!match.route) return reject(404, "Not Found: no WebSocket route at this path");
  http_->held.assign(rest);  // frames sent right behind the request wait for the decision
  if (server().app().ws_middleware.empty() && !match.route->behavior.upgrade) {
    return open_websocket(*match.route, {});
  }
  keep_head(head);  // the request must outlive this read if a decision comes later
  server().router().match(request.path, http_->params);  // the parameters view the kept head
  http_->upgrade = std::make_unique<UpgradeFlow>(*this, http_->parser.request(), http_->params,
                                                 *match.route, http_->waiting);
  run_upgrade_stage();
}

// Runs the current middleware (or the route's hook, after the last) and carries out what it
// decided during the call; without a decision the upgrade waits for one (a middleware's next(),
// a DeferredUpgrade), except after a hook that did not defer: that accepts.
void Connection::run_upgrade_stage() {
  UpgradeFlow& flow = *http_->upgrade;
  const auto& middleware = server().app().ws_middleware;
  const bool hook = flow.stage >= middleware.size();
  if (hook && !flow.route.behavior.upgrade) return accept_upgrade({});
  end_wait();
  http_->waiting = std::make_shared<Later>(*this);
  const std::shared_ptr<Later> later = http_->waiting;
  flow.in_call = true;
  flow.deferred = false;
  try {
    if (hook) {
      flow.route.behavior.upgrade(flow);
    } else {
      middleware[flow.stage](flow, Next(later));
    }
  } catch (const std::exception&) {
    Response failed;
    failed.status(500).text("Internal Server Error");
    later->finish([failed](Connection& c) { c.reject_upgrade(failed); });
  }
  flow.in_call = false;
  if (const Later::Action decided = later->end_call()) return decided(*this);
  if (hook && !flow.deferred) return accept_upgrade({});
  schedule(server().options().handshake_timeout);  // the time the decision has
}

void Connection::next_upgrade_stage() {
  ++http_->upgrade->stage;
  run_upgrade_stage();
}

void Connection::accept_upgrade(const AcceptOptions& options) {
  end_wait();
  open_websocket(http_->upgrade->route, options);
}

void Connection::reject_upgrade(const Response& response) {
  LoopMetrics::add(server().metrics().handshakes_refused);
  event_log::refused(true, response.status(), response.body().substr(0, 200),
                     http_->parser.request().path, fd());
  std::string& out = server().scratch();
  out.clear();
  append_response(out, response, {.date = server().http_date(), .close = true});
  write(out);
  end_http();
}

void Connection::open_websocket(const Route& route, const AcceptOptions& options) {
  const protocol::HttpRequest& request = http_->parser.request();
  if (route.behavior.settings.client_registry && !register_client(route, request)) {
    return reject(409, "this client id is already connected");
  }
  std::optional<protocol::DeflateParams> deflate;
  if (route.behavior.settings.compression != Compression::Off) {
    deflate = protocol::negotiate_deflate(joined_extensions(request), route.deflate);
  }
  std::string& response = server().scratch();
  response.clear();
  protocol::append_switching_protocols(
      response, request.header("sec-websocket-key"), options.subprotocol,
      deflate ? protocol::deflate_response(*deflate) : "", header_lines(options.headers));
  write(response);
  event_log::opened(request.path, fd(), client(), deflate.has_value());
  if (deflate)
    extras().deflate = std::make_unique<SocketDeflate>(SocketDeflate{.agreed = *deflate});
  if (auto kept = keep_request()) extras().kept = std::move(kept);
  void* user_data = http_->upgrade              ? http_->upgrade->take_user_data()
                    : route.user_data.construct ? make_user_data(route.user_data)
                                                : nullptr;
  std::string early = std::move(http_->held);
  http_.reset();  // the request is not read after this
  become_open(route, user_data);
  // Frames that came with the request or while it was decided are not lost.
  if (phase_ == Phase::Open && !early.empty()) {
    reader_.consume(reinterpret_cast<std::uint8_t*>(early.data()), early.size(), reader_config(),
                    *this);
  }
}

// The route's parameters, the query and the headers the hook kept, with what middleware asked
// the socket to hold; null when there is none of it (the common case costs no allocation).
std::unique_ptr<KeptRequest> Connection::keep_request() {
  const HttpExchange& http = *http_;
  const protocol::HttpRequest& request = http.parser.request();
  const UpgradeFlow* flow = http.upgrade.get();
  if (http.params.all().empty() && request.query.empty() &&
      (!flow || (flow->kept_headers.empty() && flow->held.empty()))) {
    return nullptr;
  }
  auto kept = std::make_unique<KeptRequest>();
  for (const RouteParam& p : http.params.all())
    kept->add(KeptRequest::Kind::Param, p.name, p.value);
  if (!request.query.empty()) kept->add(KeptRequest::Kind::Query, {}, request.query);
  if (flow) {
    for (const std::string& name : flow->kept_headers) {
      const std::string_view value = request.header(name);
      if (request.header_count(name) > 0) kept->add(KeptRequest::Kind::Header, name, value);
    }
    kept->held() = std::move(http_->upgrade->held);
  }
  return kept;
}

}  // namespace wisp::server
