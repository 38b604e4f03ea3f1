// The public Upgrade, DeferredUpgrade and Next: reading the request, and decisions passed to the
// connection through its Later (src/server/later.hpp).
#include <algorithm>
#include <stdexcept>

#include "net/tcp_listener.hpp"
#include "protocol/http_response.hpp"
#include "server/connection.hpp"
#include "server/upgrade_flow.hpp"

namespace wisp {

using server::Connection;
using server::UpgradeFlow;

namespace {

// Fields the 101 response carries already, or that would frame it wrongly.
bool is_handshake_field(std::string_view name) {
  for (std::string_view reserved :
       {"upgrade", "connection", "content-length", "transfer-encoding", "date"}) {
    if (protocol::iequals(name, reserved)) return true;
  }
  return name.size() >= 14 && protocol::iequals(name.substr(0, 14), "sec-websocket-");
}

template <class Offered>
void check_accept(const AcceptOptions& options, const Offered& offered) {
  if (!options.subprotocol.empty() &&
      std::find(offered.begin(), offered.end(), options.subprotocol) == offered.end()) {
    throw std::invalid_argument("wisp::Upgrade::accept: the client did not offer subprotocol " +
                                options.subprotocol);
  }
  for (const auto& [name, value] : options.headers) {
    if (!protocol::is_valid_field(name, value) || is_handshake_field(name)) {
      throw std::invalid_argument("wisp::Upgrade::accept: invalid or reserved header " + name);
    }
  }
}

server::Later::Action accepting(AcceptOptions options) {
  return [options = std::move(options)](Connection& c) { c.accept_upgrade(options); };
}

// The rejection as a Response: its checks and its writer are those of HTTP routes.
server::Later::Action rejecting(int status, std::string_view body, const HttpHeaders& headers) {
  Response response;
  response.status(status);
  for (const auto& [name, value] : headers) response.header(name, value);
  response.text(body);
  return [response = std::move(response)](Connection& c) { c.reject_upgrade(response); };
}

void decide(server::Later& later, server::Later::Action action) {
  if (!later.finish(std::move(action))) {
    throw std::logic_error("wisp::Upgrade: the upgrade was already decided");
  }
}

}  // namespace

std::string_view Upgrade::method() const { return UpgradeFlow::of(*this).request.method; }
std::string_view Upgrade::path() const { return UpgradeFlow::of(*this).request.path; }
std::string_view Upgrade::query() const { return UpgradeFlow::of(*this).request.query; }

std::optional<std::string> Upgrade::query(std::string_view name) const {
  return server::query_value(query(), name);
}

std::vector<std::pair<std::string, std::string>> Upgrade::query_params() const {
  return server::parse_query(query());
}

std::string_view Upgrade::header(std::string_view name) const {
  return UpgradeFlow::of(*this).request.header(name);
}

std::vector<std::pair<std::string_view, std::string_view>> Upgrade::headers() const {
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  for (const auto& field : UpgradeFlow::of(*this).request.headers) {
    fields.emplace_back(field.name, field.value);
  }
  return fields;
}

std::string_view Upgrade::param(std::string_view name) const {
  return UpgradeFlow::of(*this).params.get(name);
}

std::string Upgrade::remote_address() const {
  return net::peer_address(UpgradeFlow::of(*this).connection.fd());
}

std::vector<std::string_view> Upgrade::protocols() const {
  std::vector<std::string_view> offered;
  for (const auto& field : UpgradeFlow::of(*this).request.headers) {
    if (!protocol::iequals(field.name, "sec-websocket-protocol")) continue;
    std::string_view list = field.value;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) offered.push_back(item);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  return offered;
}

void Upgrade::accept(AcceptOptions options) {
  UpgradeFlow& flow = UpgradeFlow::of(*this);
  server::Later& later = flow.decision();
  check_accept(options, protocols());
  decide(later, accepting(std::move(options)));
}

void Upgrade::reject(int status, std::string_view body, const HttpHeaders& headers) {
  server::Later& later = UpgradeFlow::of(*this).decision();
  decide(later, rejecting(status, body, headers));
}

DeferredUpgrade Upgrade::defer() {
  UpgradeFlow& flow = UpgradeFlow::of(*this);
  flow.decision();  // throws outside the call
  flow.deferred = true;
  std::vector<std::string> offered;
  for (std::string_view p : protocols()) offered.emplace_back(p);
  return DeferredUpgrade(flow.waiting, std::move(offered));
}

void Upgrade::keep_header(std::string_view name) {
  UpgradeFlow::of(*this).kept_headers.emplace_back(name);
}

void Upgrade::hold(std::shared_ptr<const void> resource) {
  UpgradeFlow::of(*this).held.push_back(std::move(resource));
}

void* Upgrade::user_data() { return UpgradeFlow::of(*this).user_data(); }

const void* Upgrade::user_data_type() const { return UpgradeFlow::of(*this).route.user_data.tag; }

DeferredUpgrade::DeferredUpgrade(std::shared_ptr<server::Later> later,
                                 std::vector<std::string> offered)
    : later_(std::move(later)), offered_(std::move(offered)) {}

DeferredUpgrade::~DeferredUpgrade() = default;

void DeferredUpgrade::accept(AcceptOptions options) {
  if (!later_) throw std::logic_error("wisp::DeferredUpgrade: moved from");
  check_accept(options, offered_);
  later_->finish(accepting(std::move(options)));
}

void DeferredUpgrade::reject(int status, std::string_view body, const HttpHeaders& headers) {
  if (!later_) throw std::logic_error("wisp::DeferredUpgrade: moved from");
  later_->finish(rejecting(status, body, headers));
}

void Next::operator()() {
  if (later_) later_->finish([](Connection& c) { c.next_upgrade_stage(); });
}

namespace server {

UpgradeFlow::UpgradeFlow(Connection& connection, const protocol::HttpRequest& request,
                         const RouteParams& params, const Route& route,
                         std::shared_ptr<Later>& waiting)
    : connection(connection), request(request), params(params), route(route), waiting(waiting) {}

UpgradeFlow::~UpgradeFlow() {
  if (user_data_) destroy_user_data(route.user_data, user_data_);
}

void* UpgradeFlow::user_data() {
  if (!user_data_ && route.user_data.construct) user_data_ = make_user_data(route.user_data);
  return user_data_;
}

void* UpgradeFlow::take_user_data() {
  void* data = user_data();
  user_data_ = nullptr;
  return data;
}

Later& UpgradeFlow::decision() const {
  if (!in_call || !waiting) {
    throw std::logic_error("wisp::Upgrade: decide during the call, or defer()");
  }
  return *waiting;
}

}  // namespace server
}  // namespace wisp
