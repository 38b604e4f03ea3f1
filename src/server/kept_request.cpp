#include "server/kept_request.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "protocol/http_request.hpp"

namespace wisp::server {

void KeptRequest::add(Kind kind, std::string_view name, std::string_view value) {
  if (name.size() > 255) throw std::invalid_argument("wisp: a kept name is over 255 bytes");
  const auto value_size = static_cast<std::uint32_t>(value.size());
  packed_ += static_cast<char>(kind);
  packed_ += static_cast<char>(name.size());
  packed_.append(name);
  packed_.append(reinterpret_cast<const char*>(&value_size), sizeof value_size);
  packed_.append(value);
}

std::string_view KeptRequest::find(Kind kind, std::string_view name) const {
  std::string_view rest = packed_;
  while (!rest.empty()) {
    const auto entry_kind = static_cast<Kind>(rest[0]);
    const std::string_view entry_name = rest.substr(2, static_cast<unsigned char>(rest[1]));
    rest.remove_prefix(2 + entry_name.size());
    std::uint32_t value_size = 0;
    std::memcpy(&value_size, rest.data(), sizeof value_size);
    const std::string_view value = rest.substr(sizeof value_size, value_size);
    rest.remove_prefix(sizeof value_size + value_size);
    if (entry_kind != kind) continue;
    if (kind == Kind::Header ? protocol::iequals(entry_name, name) : entry_name == name)
      return value;
  }
  return {};
}

}  // namespace wisp::server
