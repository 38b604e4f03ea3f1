// The payloads of the engine's commands and questions (broker.hpp's `kind`s): a sequence of
// fields, each a string (a varint length, then its bytes) or a number (a varint). Brokers carry
// them opaquely; what arrives from another node is untrusted, so the reader checks every length
// and a reader that ran short says so (ok() false) instead of reading past the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::broker {

class PayloadWriter {
 public:
  PayloadWriter& number(std::uint64_t value);
  PayloadWriter& text(std::string_view value);
  PayloadWriter& texts(const std::vector<std::string>& values);  // a count, then each
  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class PayloadReader {
 public:
  explicit PayloadReader(std::string_view bytes) : rest_(bytes) {}
  explicit PayloadReader(std::string&&) = delete;  // it would read a string already gone
  // Each returns 0 / "" / {} once the payload ran short or was malformed (ok() then false).
  std::uint64_t number();
  std::string_view text();  // a view into the payload
  std::vector<std::string> texts();
  // Whether every field read was whole, and (done()) nothing is left over.
  bool ok() const { return ok_; }
  bool done() const { return ok_ && rest_.empty(); }

 private:
  void fail() { ok_ = false; }
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace wisp::broker
