// This process' CPU time (user and system), for the benchmarks' figures per message.
#pragma once

#include <sys/resource.h>

namespace wisp::test {

inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace wisp::test
