// The two line formats of a record (include/wisp/log.hpp): text for people, JSON lines for
// log shippers.
#include <time.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "wisp/log.hpp"

namespace wisp {
namespace {

// ISO 8601 in UTC with milliseconds: 2026-12-02T16:50:01.123Z (sorts as text, no time zone
// guessing).
std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  const time_t seconds = static_cast<time_t>(ms / 1000);
  tm parts{};
  gmtime_r(&seconds, &parts);
  std::array<char, 96> out{};  // room for any int, as the compiler checks
  std::snprintf(out.data(), out.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(ms % 1000));
  return out.data();
}

// A text value as is when it reads unambiguously (no space, quote, `=` or control character),
// otherwise in double quotes with \" \\ \n \r \t and \xHH escapes: a line stays one line.
bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const char c : value)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7f)
      return true;
  return false;
}

void append_text_value(std::string& out, std::string_view value) {
  if (!needs_quotes(value)) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (const char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned>(c));
          out.append(escape);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// 2026-12-02T16:50:01.123Z info  ws.close: a WebSocket closed code=1000 by=peer ...
std::string text_line(const LogRecord& record) {
  std::string out = utc_timestamp(record.time);
  out.push_back(' ');
  const std::string_view level = to_string(record.level);
  out.append(level).append(level.size() < 5 ? 5 - level.size() + 1 : 1, ' ');
  out.append(record.event).append(": ");
  for (const char c : record.message) out.push_back(c == '\n' ? ' ' : c);
  for (const LogField& field : record.fields) {
    out.append(" ").append(field.name).push_back('=');
    append_text_value(out, field.value);
  }
  return out;
}

// {"ts":"...","level":"info","event":"ws.close","msg":"...","code":"1000",...}: the fields
// after the four fixed keys, in their order; bytes that are not UTF-8 become U+FFFD.
std::string json_line(const LogRecord& record) {
  nlohmann::ordered_json line = {{"ts", utc_timestamp(record.time)},
                                 {"level", to_string(record.level)},
                                 {"event", record.event},
                                 {"msg", record.message}};
  for (const LogField& field : record.fields) line[std::string(field.name)] = field.value;
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string format_log_record(const LogRecord& record, LogFormat format) {
  return format == LogFormat::json ? json_line(record) : text_line(record);
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    case LogLevel::critical:
      return "critical";
    case LogLevel::off:
      return "off";
  }
  return "off";
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "warning") return LogLevel::warn;
  for (int i = 0; i <= static_cast<int>(LogLevel::off); ++i)
    if (to_string(static_cast<LogLevel>(i)) == name) return static_cast<LogLevel>(i);
  return std::nullopt;
}

}  // namespace wisp
