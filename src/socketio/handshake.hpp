// What a session keeps of the request that opened it (IoSocket::query, IoSocket::header), and
// the checks every Engine.IO request passes first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socketio/engineio_packet.hpp"

namespace wisp::detail {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Every parameter of a query string, percent-decoded ('+' a space), in order.
Pairs parse_query(std::string_view query);

// The headers a session keeps, lower-case (the rest are not stored).
inline constexpr std::string_view kKeptHeaders[] = {"origin",        "user-agent",      "cookie",
                                                    "authorization", "x-forwarded-for", "host"};

// EIO must be 4 and transport the expected one (and allowed); else the error to answer.
std::optional<socketio::EioError> check_request(std::optional<std::string> eio,
                                                std::optional<std::string> transport,
                                                std::string_view expected, bool allowed);

}  // namespace wisp::detail
