#include "client/plan.hpp"

#include "protocol/client_handshake.hpp"

namespace wisp::client {

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
  plan->settings = std::move(settings);
  plan->handlers = std::move(handlers);
  return plan;
}

}  // namespace wisp::client
