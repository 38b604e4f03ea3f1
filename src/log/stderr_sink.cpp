#include "log/stderr_sink.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>

namespace wisp {
namespace logs {
namespace {

std::atomic<LogFormat> format{LogFormat::text};

// spdlog writes the line we format (pattern "%v") and flushes it: a line is on stderr before
// the event's effects are visible to anyone watching (tests, an operator's tail). Not registered
// in spdlog's registry, so an application's own spdlog set-up never meets it.
spdlog::logger& stderr_logger() {
  static spdlog::logger logger = [] {
    spdlog::logger made("wisp", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made.set_pattern("%v");
    made.set_level(spdlog::level::trace);  // the level is ours (log.cpp), checked before
    made.flush_on(spdlog::level::trace);
    return made;
  }();
  return logger;
}

}  // namespace

void write_to_stderr(const LogRecord& record) {
  const std::string line = format_log_record(record, format.load(std::memory_order_relaxed));
  stderr_logger().log(spdlog::level::info, line);
}

}  // namespace logs

void set_log_format(LogFormat chosen) { logs::format.store(chosen, std::memory_order_relaxed); }

}  // namespace wisp
