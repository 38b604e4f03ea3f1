// The loop's cork buffer: where a socket's writes gather while its read is handled, to leave in
// one write. A fixed array rather than a std::string because growing a string zero-fills the new
// room, and cork_space() hands out room its caller fills at once (a frame's header and payload):
// at 4 KiB messages that fill was more than half of an echo's instructions per message.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace wisp::net {

class CorkBuffer {
 public:
  static constexpr std::size_t capacity = 64 * 1024;

  CorkBuffer() : bytes_(std::make_unique_for_overwrite<char[]>(capacity)) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  std::string_view view() const { return {bytes_.get(), size_}; }

  // `n` more bytes, left for the caller to fill; size() + n must not pass capacity.
  char* grow(std::size_t n) {
    char* at = bytes_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
  }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};

}  // namespace wisp::net
