// This process's CPU time and resident memory, from /proc (Linux).
#pragma once

#include <cstdint>

namespace wisp::tool {

struct ProcessUsage {
  double cpu_seconds = 0;          // user + system, all threads, since the process started
  std::uint64_t memory_bytes = 0;  // resident set size
};

// Zeros where /proc cannot be read.
ProcessUsage process_usage();

}  // namespace wisp::tool
