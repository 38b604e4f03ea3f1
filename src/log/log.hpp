// The library's side of the logs (include/wisp/log.hpp): a cheap level check for the hot paths
// and the call that builds and dispatches a record. Hot paths test enabled() first: with the
// level above theirs (or off) they pay one relaxed load and one predictable branch.
#pragma once

#include <atomic>
#include <initializer_list>
#include <string_view>

#include "wisp/log.hpp"

namespace wisp::logs {

// The least severe level logged, as an int (LogLevel's order).
extern std::atomic<int> threshold;

inline bool enabled(LogLevel level) {
  return static_cast<int>(level) >= threshold.load(std::memory_order_relaxed);
}

// Stamps the time and hands the record to the sink (serialised). Callers check enabled() first
// when building the fields costs anything.
void write(LogLevel level, std::string_view event, std::string_view message,
           std::initializer_list<LogField> fields = {});

}  // namespace wisp::logs

namespace wisp::logs {

// An exception a user's handler (or a worker's job) threw and wisp caught: event
// "handler.exception" at error, `where` saying which handler, `what` the exception's text.
void exception(std::string_view where, std::string_view what);

}  // namespace wisp::logs
