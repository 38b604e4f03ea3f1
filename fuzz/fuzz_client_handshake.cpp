// libFuzzer target for the client's side of a connection: the server's answer to the upgrade
// (scan_response_head, check_upgrade_response) and the frames behind it (the Reader in the client
// role, inflating compressed messages as the client does). The head must scan the same whole and
// cut at any point; an accepted answer must name only what was offered.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/client_handshake.hpp"
#include "protocol/deflate_stream.hpp"
#include "protocol/reader.hpp"

namespace {

using namespace wisp;
using protocol::ResponseScan;

// The key whose Sec-WebSocket-Accept is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" (RFC 6455 §1.3).
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
const std::vector<std::string> kSubprotocols{"chat", "superchat"};

struct Sink {
  std::unique_ptr<protocol::Inflater> inflater;
  bool reset_after = false;
  std::string inflated;
  bool on_message(OpCode, std::string_view message, bool compressed) {
    if (compressed) {
      CHECK(inflater != nullptr);  // RSV1 only when compression was agreed
      inflater->inflate(message, inflated, 1 << 16, reset_after);
      CHECK(inflated.size() <= (1 << 16) + 1);
    }
    return true;
  }
  bool on_ping(std::string_view payload) { return payload.size() <= 125; }
  bool on_pong(std::string_view payload) { return payload.size() <= 125; }
  void on_close(int code, std::string_view) {
    CHECK(code == close_code::no_status || protocol::is_valid_close_code(code));
  }
  void on_error(int code, std::string_view) {
    CHECK(code == close_code::protocol_error || code == close_code::invalid_payload ||
          code == close_code::message_too_big);
  }
};

void read_frames(std::string frames, const protocol::HandshakeResult& agreed) {
  Sink sink;
  if (agreed.deflate) {
    sink.inflater = std::make_unique<protocol::Inflater>(agreed.deflate->server_max_window_bits);
    sink.reset_after = agreed.deflate->server_no_context_takeover;
  }
  const protocol::ReaderConfig config{.role = protocol::Role::Client,
                                      .max_message_size = 1 << 16,
                                      .compression = agreed.deflate.has_value()};
  protocol::Reader reader;
  reader.consume(reinterpret_cast<std::uint8_t*>(frames.data()), frames.size(), config, sink);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ResponseScan whole = protocol::scan_response_head(input, 4096);
  // A head is found no sooner than all of it is there.
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const ResponseScan part = protocol::scan_response_head(input.substr(0, cut), 4096);
  if (whole.status == ResponseScan::Status::Complete) {
    CHECK(whole.size <= size);
    CHECK(cut >= whole.size ? part.status == ResponseScan::Status::Complete
                            : part.status == ResponseScan::Status::Incomplete);
  }
  if (whole.status != ResponseScan::Status::Complete) return 0;
  const protocol::HandshakeResult result = protocol::check_upgrade_response(
      whole.head, kKey, kSubprotocols, protocol::ClientDeflatePolicy{});
  if (!result.ok()) return 0;
  CHECK(whole.head.status == 101);
  CHECK(result.subprotocol.empty() || std::find(kSubprotocols.begin(), kSubprotocols.end(),
                                                result.subprotocol) != kSubprotocols.end());
  read_frames(std::string(input.substr(whole.size)), result);
  return 0;
}
