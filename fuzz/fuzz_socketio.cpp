// libFuzzer target for the Engine.IO and Socket.IO codecs (socketio/engineio_packet.hpp,
// socketio/socketio_packet.hpp): what a client sends in a polling body or a WebSocket message.
//
// The first byte picks the codec. Invariants: a payload that decodes encodes to one that decodes
// to the same packets; a Socket.IO packet that decodes (not a binary type) encodes to text that
// decodes to the same packet; the attachment gatherer takes any sequence of messages without
// crashing. Any input: no crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "socketio/engineio_packet.hpp"
#include "socketio/socketio_packet.hpp"

namespace {

using namespace wisp::socketio;

void payload_round_trip(std::string_view body) {
  const auto packets = decode_payload(body);
  if (!packets) return;
  std::string again;
  for (const auto& packet : *packets) append_to_payload(again, packet);
  const auto reread = decode_payload(again);
  CHECK(reread && reread->size() == packets->size());
  for (std::size_t i = 0; i < packets->size(); ++i) {
    CHECK((*reread)[i].type == (*packets)[i].type && (*reread)[i].data == (*packets)[i].data);
  }
}

void packet_round_trip(std::string_view text) {
  const auto packet = decode_sio(text, 8);
  if (!packet || packet->attachments > 0 || text.find('\0') != std::string_view::npos) return;
  const auto encoded = encode_sio(packet->type, packet->nsp, packet->id, packet->data);
  CHECK(encoded.attachments.empty());
  const auto reread = decode_sio(encoded.text, 8);
  CHECK(reread && reread->type == packet->type && reread->nsp == packet->nsp &&
        reread->id == packet->id);
  CHECK(reread->data.is_discarded() == packet->data.is_discarded());
  if (!packet->data.is_discarded()) CHECK(reread->data == packet->data);
}

// Messages separated by '\x1f', each text unless it starts with 'B'.
void gather(std::string_view input) {
  SioDecoder decoder(4);
  while (!input.empty()) {
    const std::size_t end = input.find('\x1f');
    const std::string_view message = input.substr(0, end);
    if (!message.empty() && message[0] == 'B') {
      decoder.binary(message.substr(1));
    } else if (decoder.text(message) == SioDecoder::Status::Packet) {
      decoder.take();
    }
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      payload_round_trip(input);
      break;
    case 1:
      packet_round_trip(input);
      break;
    default:
      gather(input);
      break;
  }
  return 0;
}
