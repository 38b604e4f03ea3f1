// What the client registry knows of a connected client (App::client, App::clients, Hub::clients).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// A snapshot of one registered client (routes with settings.client_registry), taken under the
// registry's lock: safe to keep and read from any thread.
struct ClientInfo {
  std::string id;
  std::string route;           // the pattern of the route it connected to
  std::string remote_address;  // "ip:port"
  std::chrono::system_clock::time_point connected_at;
  std::chrono::system_clock::time_point last_activity;  // its last message (or its connect)
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t bytes_in = 0;  // message bytes, after decompression
  std::uint64_t bytes_out = 0;
  std::map<std::string, std::string, std::less<>> metadata;  // set with WebSocket::set_metadata
};

}  // namespace wisp

#pragma GCC visibility pop
