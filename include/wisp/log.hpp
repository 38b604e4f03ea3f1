// wisp's logs (docs/logs.md): what the library reports (connections opened and closed, refused
// upgrades, HTTP access lines, TLS reloads, broker state changes, drops, exceptions), as records
// with an event name and fields. By default they go to stderr in a human format, from `info` up;
// an application may set the level, pick JSON lines, or take the records itself (a sink).
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// From the most verbose to the most severe; `off` logs nothing.
enum class LogLevel { trace, debug, info, warn, error, critical, off };

// The default sink's line format: `text` for people, `json` (one object per line) for shippers.
enum class LogFormat { text, json };

// One key/value pair of a record ("client", "peer", "path", "status", "code", "reason", ...).
// Values are text; numbers are written in decimal.
struct LogField {
  std::string_view name;
  std::string_view value;
};

// One log record. Its views live as long as the sink's call: copy what must outlive it.
struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogLevel level = LogLevel::info;
  std::string_view event;    // a stable dotted name, e.g. "ws.open", "http.access"
  std::string_view message;  // one human sentence
  std::span<const LogField> fields;
};

// Receives every record at or above the level, on the thread where the event happened (a loop
// thread, a worker, the signal thread), one call at a time (calls never overlap). It must not
// call set_log_sink itself; an exception it throws is swallowed.
using LogSink = std::function<void(const LogRecord&)>;

// The least severe level logged (default `info`); `LogLevel::off` silences the library. Any
// thread, any time.
void set_log_level(LogLevel level);
LogLevel log_level();

// Replaces where records go; an empty function brings back the default (stderr, in the format
// of set_log_format). Any thread; the previous sink is not called after this returns.
void set_log_sink(LogSink sink);

// The default sink's format (default `text`). Any thread.
void set_log_format(LogFormat format);

// Logs a record of the application's own through wisp's level and sink (e.g. "app.start").
void log_event(LogLevel level, std::string_view event, std::string_view message,
               std::initializer_list<LogField> fields = {});

// A record as the default sink writes it, without the newline: for a sink that still wants
// wisp's formats (to a file, a socket, ...).
std::string format_log_record(const LogRecord& record, LogFormat format);

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view to_string(LogLevel level);
// The level of such a name (also "warning"); nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);

}  // namespace wisp

#pragma GCC visibility pop
