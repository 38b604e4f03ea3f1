// A random name for a node or a caller in Redis when none is given: 64 bits, in hex.
#pragma once

#include <random>
#include <string>

namespace wisp::broker {

inline std::string random_id() {
  std::random_device device;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 16; ++i) id += hex[device() & 0xf];
  return id;
}

}  // namespace wisp::broker
