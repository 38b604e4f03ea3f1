// The receiving half of a WebSocket endpoint (RFC 6455 §5, §6.2, §7), sans-I/O.
//
// consume() takes bytes as they arrive, split anywhere, unmasks them in place and reports whole
// messages and control frames to a sink. A message that arrives in one piece is delivered where
// it lies, without a copy; fragments and messages split across reads are joined in a buffer the
// reader holds only until the message is delivered. Every violation is reported once, with the
// close code the connection must fail with, as soon as it is seen (text is UTF-8 checked as it
// arrives, a message's size as soon as a frame header announces it).
//
// The sink provides (each data pointer is valid only during the call):
//   bool on_message(OpCode op, std::string_view payload, bool compressed);
//   bool on_ping(std::string_view payload);
//   bool on_pong(std::string_view payload);
//   void on_close(int code, std::string_view reason);  // a valid close frame (1005: no code)
//   void on_error(int code, std::string_view reason);  // fail the connection with `code`
// on_message/on_ping/on_pong return false to stop consuming (the connection closed meanwhile).
// After on_close, on_error or a false return, the reader ignores all further input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/frame.hpp"
#include "protocol/mask.hpp"
#include "protocol/utf8.hpp"
#include "wisp/opcode.hpp"

namespace wisp::protocol {

enum class Role : std::uint8_t {
  Server,  // receives masked frames
  Client,  // receives unmasked frames
};

struct ReaderConfig {
  Role role = Role::Server;
  std::uint64_t max_message_size = 1024 * 1024;
  bool compression = false;  // permessage-deflate negotiated: RSV1 marks a compressed message
};

class Reader {
 public:
  template <class Sink>
  void consume(std::uint8_t* data, std::size_t size, const ReaderConfig& config, Sink& sink);

  bool stopped() const { return stopped_; }
  // Bytes this reader holds between reads (joined fragments, a split control frame).
  std::size_t held_bytes() const { return spill_ ? spill_->message.capacity() : 0; }

 private:
  struct Spill {
    std::string message;  // the fragments of the message in progress
    std::string control;  // a control frame split across reads
  };

  enum class Small : std::uint8_t { No, Done, Stop };
  template <class Sink>
  Small small_frame(std::uint8_t*& p, std::uint8_t* end, const ReaderConfig& config, Sink& sink);
  template <class Sink>
  bool read_header(std::uint8_t*& p, std::uint8_t* end, const ReaderConfig& config, Sink& sink);
  template <class Sink>
  bool start_frame(const std::uint8_t* header, const ReaderConfig& config, Sink& sink);
  template <class Sink>
  bool read_payload(std::uint8_t*& p, std::uint8_t* end, Sink& sink);
  template <class Sink>
  bool control_payload(std::uint8_t* p, std::size_t n, Sink& sink);
  template <class Sink>
  bool data_payload(std::uint8_t* p, std::size_t n, Sink& sink);
  template <class Sink>
  bool control_frame(std::string_view payload, Sink& sink);
  template <class Sink>
  bool deliver(std::string_view message, Sink& sink);
  bool go_on(bool sink_wants_more) {
    stopped_ = !sink_wants_more;
    return sink_wants_more;
  }
  template <class Sink>
  bool fail(Sink& sink, int code, std::string_view reason) {
    stopped_ = true;
    sink.on_error(code, reason);
    return false;
  }
  std::size_t message_size() const { return spill_ ? spill_->message.size() : 0; }
  Spill& spill() {
    if (!spill_) spill_ = std::make_unique<Spill>();
    return *spill_;
  }
  void drop_spill_if_empty() {
    if (spill_ && spill_->message.empty() && spill_->control.empty()) spill_.reset();
  }

  static std::size_t header_size(const std::uint8_t* header) {
    const std::uint8_t length7 = header[1] & 0x7F;
    return 2 + ((header[1] & 0x80) ? 4 : 0) + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
  }

  std::unique_ptr<Spill> spill_;
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame not yet read
  std::uint32_t mask_key_ = 0;
  std::uint8_t mask_offset_ = 0;
  std::uint8_t header_[max_frame_header_size];
  std::uint8_t header_size_ = 0;  // header bytes gathered while a header is split across reads
  OpCode frame_opcode_ = OpCode::Continuation;
  OpCode message_opcode_ = OpCode::Continuation;  // Continuation: no message in progress
  // Bit-fields: the reader is part of every socket, and these five fit in one byte.
  bool in_payload_ : 1 = false;
  bool frame_fin_ : 1 = false;
  bool frame_masked_ : 1 = false;
  bool message_compressed_ : 1 = false;
  bool stopped_ : 1 = false;
  Utf8Validator utf8_;
};

template <class Sink>
void Reader::consume(std::uint8_t* data, std::size_t size, const ReaderConfig& config, Sink& sink) {
  std::uint8_t* p = data;
  std::uint8_t* const end = data + size;
  while (!stopped_) {
    if (!in_payload_ && header_size_ == 0 && message_opcode_ == OpCode::Continuation) {
      const Small small = small_frame(p, end, config, sink);
      if (small == Small::Stop) return;
      if (small == Small::Done) {
        if (p == end) return;
        continue;
      }
    }
    if (!in_payload_ && !read_header(p, end, config, sink)) return;
    if (!read_payload(p, end, sink)) return;
    if (p == end) return;
  }
}

// The common case in one step: a whole unfragmented, uncompressed text or binary frame under 126
// bytes at the front of the input, between messages. Anything else (including every frame the
// checks below would reject) is left to the general path: No, nothing consumed.
template <class Sink>
Reader::Small Reader::small_frame(std::uint8_t*& p, std::uint8_t* end, const ReaderConfig& config,
                                  Sink& sink) {
  const auto available = static_cast<std::size_t>(end - p);
  if (available < 2 || (p[0] != 0x81 && p[0] != 0x82)) return Small::No;  // FIN, no RSV
  const bool masked = p[1] & 0x80;
  const std::size_t length = p[1] & 0x7F;
  const std::size_t header = masked ? 6 : 2;
  if (masked != (config.role == Role::Server) || length >= 126 || available < header + length ||
      length > config.max_message_size) {
    return Small::No;
  }
  std::uint8_t* payload = p + header;
  if (masked) {
    std::uint32_t key;
    std::memcpy(&key, p + 2, 4);
    mask_words(payload, length, key);
  }
  const OpCode op = p[0] == 0x81 ? OpCode::Text : OpCode::Binary;
  p = payload + length;
  const std::string_view message(reinterpret_cast<const char*>(payload), length);
  if (op == OpCode::Text && !is_ascii(message) && !is_valid_utf8(message)) {
    fail(sink, close_code::invalid_payload, "invalid UTF-8 in text");
    return Small::Stop;
  }
  return go_on(sink.on_message(op, message, false)) ? Small::Done : Small::Stop;
}

// Reads a frame header directly from the input when it is all there, else gathers it in
// header_ across calls. Returns false when more input is needed or the frame was rejected.
template <class Sink>
bool Reader::read_header(std::uint8_t*& p, std::uint8_t* end, const ReaderConfig& config,
                         Sink& sink) {
  const auto available = static_cast<std::size_t>(end - p);
  if (header_size_ == 0 && available >= 2 && available >= header_size(p)) {
    const std::uint8_t* header = p;
    p += header_size(p);
    return start_frame(header, config, sink);
  }
  while (p < end) {
    const std::size_t wanted = header_size_ < 2 ? 2 : header_size(header_);
    if (header_size_ == wanted) break;
    const std::size_t take = std::min<std::size_t>(wanted - header_size_, end - p);
    std::memcpy(header_ + header_size_, p, take);
    header_size_ += static_cast<std::uint8_t>(take);
    p += take;
  }
  if (header_size_ < 2 || header_size_ < header_size(header_)) return false;
  header_size_ = 0;
  return start_frame(header_, config, sink);
}

template <class Sink>
bool Reader::start_frame(const std::uint8_t* h, const ReaderConfig& config, Sink& sink) {
  const unsigned opcode = h[0] & 0x0F;
  const bool fin = h[0] & 0x80;
  const bool rsv1 = h[0] & 0x40;
  const bool masked = h[1] & 0x80;
  if (h[0] & 0x30) return fail(sink, close_code::protocol_error, "reserved bits RSV2/RSV3 set");
  if (!is_known_opcode(opcode)) return fail(sink, close_code::protocol_error, "reserved opcode");
  const auto op = static_cast<OpCode>(opcode);
  if (masked != (config.role == Role::Server)) {
    return fail(sink, close_code::protocol_error,
                masked ? "server frames must not be masked" : "client frames must be masked");
  }
  std::uint64_t length = h[1] & 0x7F;
  std::size_t at = 2;
  if (length == 126) {
    length = (std::uint64_t{h[2]} << 8) | h[3];
    at = 4;
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | h[2 + i];
    at = 10;
    if (length >> 63) return fail(sink, close_code::protocol_error, "64-bit length with MSB set");
  }
  if (is_control(op)) {
    if (!fin) return fail(sink, close_code::protocol_error, "fragmented control frame");
    if (length > max_control_payload) {
      return fail(sink, close_code::protocol_error, "control frame payload over 125 bytes");
    }
    if (rsv1) return fail(sink, close_code::protocol_error, "RSV1 set on a control frame");
  } else {
    const bool continuation = op == OpCode::Continuation;
    const bool in_message = message_opcode_ != OpCode::Continuation;
    if (continuation && !in_message) {
      return fail(sink, close_code::protocol_error, "continuation frame without a message");
    }
    if (!continuation && in_message) {
      return fail(sink, close_code::protocol_error, "new message inside a fragmented message");
    }
    if (rsv1 && (continuation || !config.compression)) {
      return fail(
          sink, close_code::protocol_error,
          continuation ? "RSV1 set on a continuation frame" : "RSV1 set without an extension");
    }
    if (length > config.max_message_size - message_size()) {
      return fail(sink, close_code::message_too_big, "message too big");
    }
    if (!continuation) {
      message_opcode_ = op;
      message_compressed_ = rsv1;
    }
  }
  frame_opcode_ = op;
  frame_fin_ = fin;
  frame_masked_ = masked;
  if (masked) std::memcpy(&mask_key_, h + at, 4);
  mask_offset_ = 0;
  remaining_ = length;
  in_payload_ = true;
  return true;
}

// Reads as much of the current frame's payload as the input holds (possibly nothing: empty
// frames complete here too). Returns false when the reader stopped.
template <class Sink>
bool Reader::read_payload(std::uint8_t*& p, std::uint8_t* end, Sink& sink) {
  const std::size_t n = std::min<std::uint64_t>(remaining_, static_cast<std::size_t>(end - p));
  if (n == 0 && remaining_ > 0) return true;
  if (frame_masked_)
    mask_offset_ = static_cast<std::uint8_t>(apply_mask(p, n, mask_key_, mask_offset_));
  std::uint8_t* chunk = p;
  p += n;
  remaining_ -= n;
  if (remaining_ == 0) in_payload_ = false;
  return is_control(frame_opcode_) ? control_payload(chunk, n, sink) : data_payload(chunk, n, sink);
}

template <class Sink>
bool Reader::control_payload(std::uint8_t* p, std::size_t n, Sink& sink) {
  const std::string_view bytes(reinterpret_cast<const char*>(p), n);
  if (in_payload_) {  // split across reads: gather it
    spill().control.append(bytes);
    return true;
  }
  if (!spill_ || spill_->control.empty()) return control_frame(bytes, sink);
  std::string whole = std::move(spill_->control);
  spill_->control.clear();
  whole.append(bytes);
  drop_spill_if_empty();
  return control_frame(whole, sink);
}

template <class Sink>
bool Reader::control_frame(std::string_view payload, Sink& sink) {
  switch (frame_opcode_) {
    case OpCode::Ping:
      return go_on(sink.on_ping(payload));
    case OpCode::Pong:
      return go_on(sink.on_pong(payload));
    default:
      break;
  }
  // Close (§5.5.1, §7.1.5, §7.4).
  if (payload.size() == 1) return fail(sink, close_code::protocol_error, "close frame of 1 byte");
  int code = close_code::no_status;
  std::string_view reason;
  if (payload.size() >= 2) {
    code = (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
    reason = payload.substr(2);
    if (!is_valid_close_code(code))
      return fail(sink, close_code::protocol_error, "invalid close code");
    if (!is_valid_utf8(reason))
      return fail(sink, close_code::invalid_payload, "close reason is not UTF-8");
  }
  stopped_ = true;
  sink.on_close(code, reason);
  return false;
}

template <class Sink>
bool Reader::data_payload(std::uint8_t* p, std::size_t n, Sink& sink) {
  const bool text = message_opcode_ == OpCode::Text && !message_compressed_;
  if (text && !utf8_.feed(p, n))
    return fail(sink, close_code::invalid_payload, "invalid UTF-8 in text");
  const bool message_done = !in_payload_ && frame_fin_;
  const std::string_view bytes(reinterpret_cast<const char*>(p), n);
  if (message_done && message_size() == 0) {  // the whole message lies in the input: no copy
    return deliver(bytes, sink);
  }
  spill().message.append(bytes);
  if (!message_done) return true;
  std::string whole = std::move(spill_->message);
  spill_->message.clear();
  drop_spill_if_empty();
  return deliver(whole, sink);
}

template <class Sink>
bool Reader::deliver(std::string_view message, Sink& sink) {
  const OpCode op = message_opcode_;
  const bool compressed = message_compressed_;
  message_opcode_ = OpCode::Continuation;
  message_compressed_ = false;
  if (op == OpCode::Text && !compressed) {
    const bool complete = utf8_.complete();
    utf8_.reset();
    if (!complete)
      return fail(sink, close_code::invalid_payload, "text ends inside a UTF-8 sequence");
  }
  return go_on(sink.on_message(op, message, compressed));
}

}  // namespace wisp::protocol
