#include "client/resolver.hpp"

#include <netdb.h>

#include <cstring>
#include <string>
#include <thread>

#include "client/backoff.hpp"
#include "client/dialer.hpp"
#include "net/event_loop.hpp"

namespace wisp::client {
namespace {

struct Address {
  sockaddr_storage storage{};
  socklen_t size = 0;
  std::string error;  // empty: found
};

Address look_up(const std::string& host, std::uint16_t port, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* found = nullptr;
  Address address;
  if (const int error = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found)) {
    address.error = "cannot resolve '" + host + "': " + gai_strerror(error);
    return address;
  }
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.size = found->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

void dial(const std::shared_ptr<const Plan>& plan, Connections& owner, const Address& address) {
  plan->address = address.storage;
  plan->address_size = address.size;
  Dialer::start(plan, owner);
}

// A lookup under way: the loop's side of it, ended by its outcome or by the client's end.
class Lookup final : public Connections::Member {
 public:
  static void start(std::shared_ptr<const Plan> plan, Connections& owner) {
    auto* lookup = new Lookup(plan, owner);  // owns itself until done or abandoned
    // The thread copies what it needs: the plan (and the handlers it holds) stays on the loop.
    std::thread([host = plan->url.host, port = plan->url.port, token = lookup->token_,
                 link = owner.link()] {
      Address address = look_up(host, port, 0);
      link->post([token, address = std::move(address)] {
        if (Lookup* waiting = *token) waiting->done(address);
      });
    }).detach();
  }
  void abandon() override {
    *token_ = nullptr;
    owner_.remove(*this);
    net::EventLoop::current()->retire(this);
  }

 private:
  Lookup(std::shared_ptr<const Plan> plan, Connections& owner)
      : plan_(std::move(plan)), owner_(owner), token_(std::make_shared<Lookup*>(this)) {
    owner_.add(*this);
  }
  void done(const Address& address) {
    const std::shared_ptr<const Plan> plan = plan_;
    Connections& owner = owner_;
    abandon();
    if (address.error.empty()) return dial(plan, owner, address);
    attempt_failed(plan, owner, {.message = address.error});
  }

  std::shared_ptr<const Plan> plan_;
  Connections& owner_;
  std::shared_ptr<Lookup*> token_;  // read and cleared on the loop thread only
};

}  // namespace

void start_attempt(std::shared_ptr<const Plan> plan, Connections& owner) {
  const Address numeric = look_up(plan->url.host, plan->url.port, AI_NUMERICHOST);
  if (numeric.error.empty()) return dial(plan, owner, numeric);
  Lookup::start(std::move(plan), owner);
}

}  // namespace wisp::client
