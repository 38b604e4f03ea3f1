// Where a connection attempt starts: the host's address, then the TCP connect (Dialer). An
// address in the URL is used at once; a host name is looked up on a thread of its own for each
// attempt (getaddrinfo blocks, for seconds when DNS is slow, and no loop may wait for it), and
// the outcome is posted back to the loop.
#pragma once

#include <memory>

#include "client/connections.hpp"
#include "client/plan.hpp"

namespace wisp::client {

// On the loop thread. The outcome is the Dialer's, or a failed attempt ("cannot resolve ...")
// that reconnects or reaches the fail handler as a refused connect does.
void start_attempt(std::shared_ptr<const Plan> plan, Connections& owner);

}  // namespace wisp::client
