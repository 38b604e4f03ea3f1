// libFuzzer target for the frame reader (protocol/reader.hpp).
//
// The first input bytes choose the configuration and how the rest is split into reads; the rest
// is a server-bound byte stream. Invariants: any split of the stream gives exactly the events of
// reading it whole; nothing follows an error or a close; delivered text is valid UTF-8; no
// message is larger than the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/reader.hpp"
#include "protocol/utf8.hpp"

namespace {

using wisp::OpCode;
using wisp::protocol::Reader;
using wisp::protocol::ReaderConfig;

struct Recorder {
  std::vector<std::string> events;
  std::uint64_t limit = 0;
  bool ended = false;

  void add(std::string event) {
    if (ended) std::abort();  // nothing may follow a close or an error
    events.push_back(std::move(event));
  }
  bool on_message(OpCode op, std::string_view payload, bool compressed) {
    if (payload.size() > limit) std::abort();
    if (op == OpCode::Text && !compressed && !wisp::protocol::is_valid_utf8(payload)) std::abort();
    add("m" + std::to_string(static_cast<int>(op)) + (compressed ? "z:" : ":") +
        std::string(payload));
    return true;
  }
  bool on_ping(std::string_view p) { return add("i:" + std::string(p)), true; }
  bool on_pong(std::string_view p) { return add("o:" + std::string(p)), true; }
  void on_close(int code, std::string_view reason) {
    add("c" + std::to_string(code) + ":" + std::string(reason));
    ended = true;
  }
  void on_error(int code, std::string_view) {
    add("e" + std::to_string(code));
    ended = true;
  }
};

std::vector<std::string> read(const std::uint8_t* data, std::size_t size, std::size_t piece,
                              const ReaderConfig& config) {
  std::vector<std::uint8_t> copy(data, data + size);  // the reader unmasks in place
  Reader reader;
  Recorder sink;
  sink.limit = config.max_message_size;
  for (std::size_t at = 0; at < size && !reader.stopped(); at += piece) {
    reader.consume(copy.data() + at, std::min(piece, size - at), config, sink);
  }
  return sink.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ReaderConfig config{
      .role = (data[0] & 1) ? wisp::protocol::Role::Client : wisp::protocol::Role::Server,
      .max_message_size = 1u << (6 + (data[0] >> 1 & 15)),  // 64 B to 2 MiB
      .compression = (data[0] & 0x20) != 0,
  };
  const std::size_t piece = 1 + data[1] % 32;
  data += 2;
  size -= 2;
  if (read(data, size, size ? size : 1, config) != read(data, size, piece, config)) std::abort();
  return 0;
}
