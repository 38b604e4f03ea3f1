// permessage-deflate negotiation (RFC 7692 §5, §7.1), sans-I/O, for both roles.
//
// The server reads the client's Sec-WebSocket-Extensions (every header field joined with ", "),
// accepts the first permessage-deflate offer its policy allows and answers with exactly the
// parameters in force; an offer it cannot accept is declined, never an error. The client writes
// its offer and checks the server's answer, which it must fail the connection over if invalid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wisp::protocol {

// The parameters of one permessage-deflate offer or response and, once agreed, what is in force:
// each side deflates with a window of at most its max window bits (8-15) and, with its
// no_context_takeover, compresses every message from an empty window.
struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
  // Whether a window parameter is written in the header. In an offer, client_max_window_bits may
  // come without a value (it then reads 15): the client only says the server may limit it.
  bool server_max_window_bits_sent = false;
  bool client_max_window_bits_sent = false;

  bool operator==(const DeflateParams&) const = default;
};

// What the server wants. Window bits are clamped to 8-15.
struct ServerDeflatePolicy {
  // false: one compressor per loop is shared by the sockets, so every answer carries
  // server_no_context_takeover.
  bool server_context_takeover = true;
  // false: every answer carries client_no_context_takeover, so one inflater per loop serves all.
  bool client_context_takeover = true;
  // Below 15, every answer limits the server's window. 8 is accepted (see Deflater).
  int server_max_window_bits = 15;
  // Below 15, every answer limits the client's window, and an offer without
  // client_max_window_bits is declined: that client could use a 32 KiB window whatever we answer
  // (§7.1.2.2), and its socket would need a bigger inflater than the policy budgets for.
  int client_max_window_bits = 15;
};

// Server side: the first acceptable permessage-deflate offer in `sec_websocket_extensions`, as
// agreed, or nullopt (compression off). An offer with an unknown or repeated parameter, a value
// on a parameter that takes none, or a window size that is not 8-15 written without leading zeros
// (a token or a quoted-string) is declined and the next one tried.
std::optional<DeflateParams> negotiate_deflate(std::string_view sec_websocket_extensions,
                                               const ServerDeflatePolicy& policy);

// The Sec-WebSocket-Extensions value answering an agreement, e.g.
// "permessage-deflate; server_no_context_takeover; client_max_window_bits=12".
std::string deflate_response(const DeflateParams& agreed);

// What a client asks for and allows. Window bits are clamped to 8-15.
struct ClientDeflatePolicy {
  bool server_no_context_takeover = false;  // ask the server to compress each message alone
  bool client_no_context_takeover = false;  // announce this client compresses each message alone
  int server_max_window_bits = 15;          // below 15: ask the server for a smaller window
  int client_max_window_bits = 15;          // the largest window this client deflates with
};

// Client side: the offer to send in Sec-WebSocket-Extensions. It always carries
// client_max_window_bits, so a server may limit the client's window to save its own memory.
std::string deflate_offer(const ClientDeflatePolicy& policy);

struct DeflateResponse {
  bool valid = false;  // false: the client must fail the connection (RFC 6455 §9.1)
  // What is in force, the client's own limits included; empty when the server declined.
  std::optional<DeflateParams> agreement;
};

// Client side: reads the server's Sec-WebSocket-Extensions (all fields joined with ", ") against
// the offer made with `offered`. Invalid: permessage-deflate answered twice, a malformed
// parameter, client_max_window_bits not offered or above the offered value, or an offered
// server_no_context_takeover or server_max_window_bits not honored.
DeflateResponse accept_deflate_response(std::string_view sec_websocket_extensions,
                                        const ClientDeflatePolicy& offered);

}  // namespace wisp::protocol
