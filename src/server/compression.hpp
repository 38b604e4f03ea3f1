// permessage-deflate (RFC 7692) in the server: each socket's agreement and streams, and each
// loop's shared streams and scratch buffers.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/deflate_stream.hpp"
#include "wisp/settings.hpp"

namespace wisp::server {

// zlib level 1: about twice the speed of the default level for a few percent more bytes.
inline constexpr int compression_level = 1;

// What the route's settings allow a client to agree to.
protocol::ServerDeflatePolicy deflate_policy(const WebSocketSettings& settings);

// A socket's agreement, and its own streams where the agreement keeps context; each stream is
// created on first use, so an idle socket holds only this small struct.
struct SocketDeflate {
  protocol::DeflateParams agreed;
  std::optional<protocol::Deflater> deflater{};
  std::optional<protocol::Inflater> inflater{};
};

// One loop's shared streams (no context takeover) and the scratch buffers all its sockets use.
class LoopCompression {
 public:
  // Inflates a message of `socket`; `out` views the loop's scratch until the next call.
  protocol::Inflater::Result inflate(SocketDeflate& socket, std::string_view compressed,
                                     std::size_t max_size, std::string_view& out);
  // Compresses a message for `socket`; the view is valid until the next call.
  std::string_view deflate(SocketDeflate& socket, int memory_level, std::string_view message);
  // Compresses a message on its own with a window of `window_bits`, for any socket that agreed
  // server_no_context_takeover with that window. Valid until the next call.
  std::string_view deflate_alone(int window_bits, std::string_view message);

 private:
  protocol::Deflater& shared_deflater(int window_bits);

  std::optional<protocol::Inflater> shared_inflater_;
  std::array<std::optional<protocol::Deflater>, 8> shared_deflaters_;  // window bits 8-15
  std::string inflated_;
  std::string deflated_;
};

}  // namespace wisp::server
