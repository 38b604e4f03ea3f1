// The level, the sink and the dispatch of records (include/wisp/log.hpp).
#include "log/log.hpp"

#include <mutex>
#include <utility>

#include "log/stderr_sink.hpp"

namespace wisp {
namespace logs {

std::atomic<int> threshold{static_cast<int>(LogLevel::info)};

namespace {

// One lock for the sink: records never interleave, and a replaced sink is not called after
// set_log_sink returns.
struct SinkSlot {
  std::mutex mutex;
  LogSink sink;  // empty: the default (stderr_sink.cpp)
};

SinkSlot& slot() {
  static SinkSlot instance;
  return instance;
}

}  // namespace

void write(LogLevel level, std::string_view event, std::string_view message,
           std::initializer_list<LogField> fields) {
  const LogRecord record{.time = std::chrono::system_clock::now(),
                         .level = level,
                         .event = event,
                         .message = message,
                         .fields = {fields.begin(), fields.size()}};
  SinkSlot& s = slot();
  const std::lock_guard lock(s.mutex);
  try {
    if (s.sink)
      s.sink(record);
    else
      write_to_stderr(record);
  } catch (...) {
    // A log line must never take the server down; the sink's owner sees its own failure.
  }
}

void exception(std::string_view where, std::string_view what) {
  if (enabled(LogLevel::error))
    write(LogLevel::error, "handler.exception", "a handler threw; wisp goes on",
          {{"handler", where}, {"error", what}});
}

}  // namespace logs

void set_log_level(LogLevel level) {
  logs::threshold.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel log_level() {
  return static_cast<LogLevel>(logs::threshold.load(std::memory_order_relaxed));
}

void set_log_sink(LogSink sink) {
  logs::SinkSlot& s = logs::slot();
  LogSink previous;  // destroyed outside the lock: its captures may log
  {
    const std::lock_guard lock(s.mutex);
    previous = std::exchange(s.sink, std::move(sink));
  }
}

void log_event(LogLevel level, std::string_view event, std::string_view message,
               std::initializer_list<LogField> fields) {
  if (level != LogLevel::off && logs::enabled(level)) logs::write(level, event, message, fields);
}

}  // namespace wisp
