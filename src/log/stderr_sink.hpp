// The default sink: spdlog to stderr, one line per record in the format set_log_format chose.
#pragma once

#include "wisp/log.hpp"

namespace wisp::logs {

void write_to_stderr(const LogRecord& record);

}  // namespace wisp::logs
