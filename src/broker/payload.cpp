#include "broker/payload.hpp"

namespace wisp::broker {

PayloadWriter& PayloadWriter::number(std::uint64_t value) {
  do {
    const auto low = static_cast<char>(value & 0x7F);
    value >>= 7;
    bytes_.push_back(value ? static_cast<char>(low | 0x80) : low);
  } while (value);
  return *this;
}

PayloadWriter& PayloadWriter::text(std::string_view value) {
  number(value.size());
  bytes_.append(value);
  return *this;
}

PayloadWriter& PayloadWriter::texts(const std::vector<std::string>& values) {
  number(values.size());
  for (const std::string& value : values) text(value);
  return *this;
}

std::uint64_t PayloadReader::number() {
  std::uint64_t value = 0;
  for (unsigned shift = 0; ok_ && shift < 64; shift += 7) {
    if (rest_.empty()) {
      fail();
      return 0;
    }
    const auto byte = static_cast<unsigned char>(rest_.front());
    rest_.remove_prefix(1);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return value;
  }
  fail();  // longer than 10 bytes: not a number this writer makes
  return 0;
}

std::string_view PayloadReader::text() {
  const std::uint64_t size = number();
  if (!ok_ || size > rest_.size()) {
    fail();
    return {};
  }
  const std::string_view value = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return value;
}

std::vector<std::string> PayloadReader::texts() {
  const std::uint64_t count = number();
  std::vector<std::string> values;
  // Each text takes at least one byte: a count past what is left is a lie, not an allocation.
  if (!ok_ || count > rest_.size()) {
    fail();
    return values;
  }
  values.reserve(count);
  for (std::uint64_t i = 0; i < count && ok_; ++i) values.emplace_back(text());
  if (!ok_) values.clear();
  return values;
}

}  // namespace wisp::broker
