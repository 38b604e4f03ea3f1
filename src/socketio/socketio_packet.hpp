// Socket.IO v5 packets (sans-I/O), carried in Engine.IO messages:
//   <type>[<attachments>-][<namespace>,][<ack id>][<JSON>]
// with binary attachments following a BINARY_EVENT / BINARY_ACK as Engine.IO binary messages,
// each standing in the JSON as {"_placeholder":true,"num":N}.
// https://github.com/socketio/socket.io-protocol (v5)
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::socketio {

enum class SioType : char {
  Connect = '0',
  Disconnect = '1',
  Event = '2',
  Ack = '3',
  ConnectError = '4',
  BinaryEvent = '5',
  BinaryAck = '6',
};

struct SioPacket {
  SioType type = SioType::Event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id{};
  nlohmann::json data{};  // discarded (is_discarded()) when the packet has none
  std::size_t attachments = 0;
};

// Arrays and objects nested deeper than this in a packet's data make it malformed.
inline constexpr std::size_t kMaxDepth = 128;

// One packet's text. nullopt when malformed: unknown type, bad attachment count (over
// `max_attachments` too), bad JSON, nesting deeper than kMaxDepth, or data of the wrong shape for
// its type (an EVENT needs an array starting with the event name, an ACK an array, a CONNECT an
// object or nothing, a DISCONNECT nothing).
std::optional<SioPacket> decode_sio(std::string_view text, std::size_t max_attachments);

// A packet ready to go: its text, then its attachments (binary messages), in order.
struct EncodedSio {
  std::string text;
  std::vector<std::string> attachments;
};
// Encodes a packet; binary values (json::binary) in an EVENT's or ACK's data become
// placeholders and attachments, and the type BINARY_EVENT / BINARY_ACK.
EncodedSio encode_sio(SioType type, std::string_view nsp, std::optional<std::uint64_t> id,
                      const nlohmann::json& data);

// Puts the attachments back where their placeholders are (as json::binary); false if a
// placeholder names an attachment that is not there.
bool reconstruct(nlohmann::json& data, std::vector<std::string>& attachments);

// Gathers a packet and the attachments that follow it, one Engine.IO message at a time.
class SioDecoder {
 public:
  explicit SioDecoder(std::size_t max_attachments) : max_attachments_(max_attachments) {}
  enum class Status { Packet, Waiting, Error };
  // A text message; Packet: take() it. Error also when attachments were still expected.
  Status text(std::string_view text);
  // A binary message: an attachment of the packet being gathered (Error when none is).
  Status binary(std::string_view bytes);
  SioPacket take() { return std::move(packet_); }

 private:
  Status complete();
  std::size_t max_attachments_;
  bool gathering_ = false;
  SioPacket packet_{};
  std::vector<std::string> attachments_{};
};

}  // namespace wisp::socketio
