#include "server/compression.hpp"

namespace wisp::server {

protocol::ServerDeflatePolicy deflate_policy(const WebSocketSettings& settings) {
  const bool dedicated_in = settings.decompression == Compression::Dedicated;
  return {
      .server_context_takeover = settings.compression == Compression::Dedicated,
      .client_context_takeover = dedicated_in,
      .server_max_window_bits = settings.compression_window_bits,
      .client_max_window_bits = dedicated_in ? settings.decompression_window_bits : 15,
  };
}

protocol::Inflater::Result LoopCompression::inflate(SocketDeflate& socket,
                                                    std::string_view compressed,
                                                    std::size_t max_size, std::string_view& out) {
  // A client that compresses each message alone can share the loop's inflater; one keeping
  // context needs its own window.
  const bool alone = socket.agreed.client_no_context_takeover;
  protocol::Inflater* inflater;
  if (alone) {
    if (!shared_inflater_) shared_inflater_.emplace(15);  // reads any window up to 15 bits
    inflater = &*shared_inflater_;
  } else {
    if (!socket.inflater) socket.inflater.emplace(socket.agreed.client_max_window_bits);
    inflater = &*socket.inflater;
  }
  const auto result = inflater->inflate(compressed, inflated_, max_size, alone);
  out = inflated_;
  return result;
}

std::string_view LoopCompression::deflate(SocketDeflate& socket, int memory_level,
                                          std::string_view message) {
  if (socket.agreed.server_no_context_takeover) {
    return deflate_alone(socket.agreed.server_max_window_bits, message);
  }
  if (!socket.deflater) {
    socket.deflater.emplace(socket.agreed.server_max_window_bits, memory_level, compression_level);
  }
  socket.deflater->deflate(message, deflated_, false);
  return deflated_;
}

std::string_view LoopCompression::deflate_alone(int window_bits, std::string_view message) {
  shared_deflater(window_bits).deflate(message, deflated_, true);
  return deflated_;
}

protocol::Deflater& LoopCompression::shared_deflater(int window_bits) {
  auto& slot = shared_deflaters_[window_bits - 8];
  if (!slot) slot.emplace(window_bits, 8, compression_level);
  return *slot;
}

}  // namespace wisp::server
