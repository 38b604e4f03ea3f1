#include "client/plan.hpp"

#include <netdb.h>

#include <cstring>
#include <stdexcept>

#include "protocol/client_handshake.hpp"

namespace wisp::client {
namespace {

void resolve(Plan& plan) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(plan.url.port);
  if (const int error = getaddrinfo(plan.url.host.c_str(), port.c_str(), &hints, &found)) {
    throw std::runtime_error("wisp: cannot resolve '" + plan.url.host +
                             "': " + gai_strerror(error));
  }
  std::memcpy(&plan.address, found->ai_addr, found->ai_addrlen);
  plan.address_size = found->ai_addrlen;
  freeaddrinfo(found);
}

}  // namespace

std::shared_ptr<const Plan> make_plan(std::string_view url, ClientHandlers handlers,
                                      ClientSettings settings) {
  auto plan = std::make_shared<Plan>();
  plan->url = parse_websocket_url(url);
  plan->key = protocol::random_handshake_key();
  if (settings.compression) plan->deflate = protocol::ClientDeflatePolicy{};
  const std::string offer = plan->deflate ? protocol::deflate_offer(*plan->deflate) : "";
  plan->request = protocol::upgrade_request({.host = plan->url.host_header,
                                             .target = plan->url.target,
                                             .key = plan->key,
                                             .subprotocols = settings.subprotocols,
                                             .extensions = offer,
                                             .headers = settings.headers});
  if (plan->url.tls) {
    plan->tls = std::make_unique<net::TlsClientContext>(
        net::TlsClientOptions{.ca_file = settings.ca_file, .verify = !settings.insecure});
  }
  resolve(*plan);
  plan->settings = std::move(settings);
  plan->handlers = std::move(handlers);
  return plan;
}

}  // namespace wisp::client
