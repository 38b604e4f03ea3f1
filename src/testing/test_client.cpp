// wisp::testing::TestClient: the app on a background thread, WebSocket sessions on one Client,
// and blocking HTTP/1.1 requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/unique_fd.hpp"
#include "protocol/client_handshake.hpp"
#include "protocol/http_body.hpp"
#include "testing/session_state.hpp"

namespace wisp::testing {
namespace {

// A blocking loopback connection whose reads and writes give up after `timeout`.
net::UniqueFd connect_tcp(const std::string& host, std::uint16_t port,
                          std::chrono::milliseconds timeout) {
  net::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval limit{.tv_sec = us / 1000000, .tv_usec = us % 1000000};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    throw TestError("wisp::testing: cannot connect to " + host + ":" + std::to_string(port) + ": " +
                    std::strerror(errno));
  }
  return fd;
}

std::string read_all(int fd) {
  std::string bytes;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return bytes;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw TestError("wisp::testing: no complete HTTP response within the timeout");
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
}

HttpResult parse_response(const std::string& bytes) {
  const protocol::ResponseScan scan = protocol::scan_response_head(bytes, bytes.size() + 1);
  if (scan.status != protocol::ResponseScan::Status::Complete) {
    throw TestError("wisp::testing: invalid HTTP response");
  }
  HttpResult result{.status = scan.head.status};
  protocol::HttpRequest framing;  // the body reader reads its framing from header fields
  for (const protocol::HttpHeader& h : scan.head.headers) {
    result.headers.emplace_back(std::string(h.name), std::string(h.value));
    framing.headers.push_back(h);
  }
  const std::string_view rest = std::string_view(bytes).substr(scan.size);
  if (framing.header("content-length").empty() &&
      !framing.has_token("transfer-encoding", "chunked")) {
    result.body = rest;  // delimited by the end of the connection
    return result;
  }
  protocol::HttpBodyReader body;
  body.start(framing, {.max_body_size = bytes.size()});
  const auto fed = body.feed(rest, result.body);
  if (fed.status != protocol::HttpBodyReader::Status::Complete) {
    throw TestError("wisp::testing: truncated HTTP response body");
  }
  if (!body.chunked()) result.body = fed.data;
  return result;
}

}  // namespace

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (protocol::iequals(key, name)) return value;
  }
  return {};
}

TestClient::TestClient(App& app) : app_(&app), host_("127.0.0.1") {
  app.listen(host_, 0);
  port_ = app.port();
  app_stopped_ = std::async(std::launch::async, [&app] { app.run(); });
  client_ = std::make_unique<Client>();
}

TestClient::TestClient(std::uint16_t port, std::string host)
    : host_(std::move(host)), port_(port), client_(std::make_unique<Client>()) {}

TestClient::~TestClient() {
  client_.reset();
  if (!app_) return;
  app_->stop();
  app_stopped_.wait();
}

WebSocketSession TestClient::websocket_connect(std::string_view path, ConnectOptions options) {
  auto state = std::make_shared<WebSocketSession::State>();
  state->client = client_.get();
  state->timeout = timeout;
  std::string url = "ws://" + host_ + ":" + std::to_string(port_) + std::string(path);
  if (!options.query.empty()) url.append("?").append(options.query);
  client_->connect(url, state->handlers(),
                   {.subprotocols = std::move(options.subprotocols),
                    .headers = std::move(options.headers),
                    .compression = options.compression,
                    .open_timeout = timeout});
  std::unique_lock lock(state->mutex);
  state->changed.wait_for(lock, timeout + timeout,  // past the client's own open_timeout
                          [&] { return state->opened || state->failed; });
  if (state->failed) {
    throw TestError("wisp::testing: " + url + ": " + state->failed->message +
                    (state->failed->body.empty() ? "" : ": " + state->failed->body));
  }
  if (!state->opened) throw TestError("wisp::testing: " + url + ": no answer within the timeout");
  lock.unlock();
  return WebSocketSession(std::move(state));
}

HttpResult TestClient::get(std::string_view path,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  return request("GET", path, {}, {}, headers);
}

HttpResult TestClient::post(std::string_view path, std::string_view body,
                            std::string_view content_type,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  return request("POST", path, body, content_type, headers);
}

HttpResult TestClient::request(std::string_view method, std::string_view path,
                               std::string_view body, std::string_view content_type,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_);
  out.append(":").append(std::to_string(port_)).append("\r\nConnection: close\r\n");
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  if (method != "GET") out.append("Content-Length: ").append(std::to_string(body.size()));
  if (method != "GET") out.append("\r\n");
  for (const auto& [name, value] : headers) out.append(name).append(": ").append(value + "\r\n");
  out.append("\r\n").append(body);
  const net::UniqueFd fd = connect_tcp(host_, port_, timeout);
  if (::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    throw TestError("wisp::testing: cannot send the HTTP request");
  }
  return parse_response(read_all(fd.get()));
}

}  // namespace wisp::testing
