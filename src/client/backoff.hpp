// Reconnection (ReconnectSettings): the policy as pure functions, and the wait before the next
// attempt as a timer on the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "client/connections.hpp"
#include "client/plan.hpp"
#include "net/timer_wheel.hpp"

namespace wisp::client {

// The delay before attempt `attempt` (0 for the first retry), `random` in [0, 1).
std::chrono::milliseconds backoff_delay(const ReconnectSettings& settings, std::uint32_t attempt,
                                        double random);

// A uniform draw in [0, 1), for backoff_delay's jitter (a generator per thread).
double random_unit();

// Whether a connection that ended with `code` (1006: lost, or never made) is tried again, after
// `failures` attempts in a row that did not open.
bool should_reconnect(const ReconnectSettings& settings, int code, std::uint32_t failures);

// On the loop thread, after a connection of `plan` ended with `code` and `reason`: schedules the
// next attempt and reports it (the reconnecting handler), or returns false (reconnection off, or
// given up).
bool reconnect(const std::shared_ptr<const Plan>& plan, Connections& owner, int code,
               std::string_view reason);

// On the loop thread, after an attempt of `plan` failed before it opened: the next attempt
// (reconnect, with 1006 and the error's message), or else the fail handler.
void attempt_failed(const std::shared_ptr<const Plan>& plan, Connections& owner,
                    const ConnectError& error);

}  // namespace wisp::client
