// Builds the hub's outgoing envelopes into reused per-thread buffers: after warm-up, a reply
// costs no allocation beyond what the handler's json holds.
#pragma once

#include <string>
#include <string_view>

#include "wisp/hub.hpp"

namespace wisp::events {

// A per-thread buffer lent for building one outgoing message. Uses that nest (a send that runs
// a close hook that sends) each get a buffer of their own.
class MessageBuffer {
 public:
  MessageBuffer();
  ~MessageBuffer();
  MessageBuffer(const MessageBuffer&) = delete;
  MessageBuffer& operator=(const MessageBuffer&) = delete;

  std::string& text() { return text_; }

 private:
  std::string text_;
};

// Appends `value` serialized compactly, as nlohmann's dump() would (invalid UTF-8 in its
// strings becomes U+FFFD), without recursion: any depth is safe.
void append_json(std::string& out, const json& value);
// Appends `text` as a JSON string literal.
void append_string(std::string& out, std::string_view text);
// Appends {"type":type,"data":data} or, with a request id (its raw JSON text),
// {"type":type,"data":data,"id":id}.
void append_envelope(std::string& out, std::string_view type, const json& data,
                     std::string_view raw_id = {});
// Appends {"type":"error","data":{"code":code,"message":message}} with the id as above.
void append_error(std::string& out, std::string_view code, std::string_view message,
                  std::string_view raw_id = {});

// The same, as a new string (for messages that cross threads, which own their bytes anyway).
std::string envelope(std::string_view type, const json& data, std::string_view raw_id = {});
std::string error_envelope(std::string_view code, std::string_view message,
                           std::string_view raw_id = {});

}  // namespace wisp::events
