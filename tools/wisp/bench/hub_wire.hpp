// The two request/response wire formats `wisp bench hub` speaks, as text: the event hub's JSON
// envelope (DESIGN.md), and Socket.IO v5 over Engine.IO v4 on a plain WebSocket (an event with an
// acknowledgement). JSON values are only delimited, not validated: the server under test is what
// validates, and the load must not spend its CPU on a full parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wisp::tool::bench {

// A request's answer: the id it echoes and its data, as raw JSON text.
struct Answer {
  std::uint64_t id = 0;
  std::string_view data;
  std::string_view ack;  // Incoming::Ask: the ack id to answer under (raw JSON)
};

// What one message from the server is, for the load.
enum class Incoming : std::uint8_t {
  Answer,  // the answer to a request (read into an Answer)
  Push,    // a message the server sent on its own (a hub's welcome or broadcast): ignored
  Ask,     // a hub message sent with an ack: echo its data back (envelope::append_ack)
  // Socket.IO's handshake and heartbeat, which the load answers:
  Open,       // Engine.IO's open packet `0{...}`: send socketio::connect
  Connected,  // Socket.IO's `40{...}`: the namespace is joined, requests may go
  Ping,       // Engine.IO's ping `2`: send socketio::pong
  Invalid,    // anything else: an error
};

// The length of the JSON value at the start of `json`, 0 if it is cut short.
std::size_t json_value_length(std::string_view json);

namespace envelope {
// Appends {"type":TYPE,"data":DATA,"id":ID}; `data` is raw JSON.
void append_request(std::string& out, std::string_view type, std::string_view data,
                    std::uint64_t id);
// Appends {"type":"ack","id":ACK,"data":DATA}: the answer to a message sent with an ack.
void append_ack(std::string& out, std::string_view ack, std::string_view data);
// A {"type":"response","data":...,"id":N} is an Answer; one with an "ack" an Ask; a message
// without an id other than an error is a Push.
Incoming read(std::string_view message, Answer& answer);
}  // namespace envelope

namespace socketio {
// The WebSocket transport's URL: no HTTP long-polling first.
inline constexpr std::string_view path = "/socket.io/?EIO=4&transport=websocket";
inline constexpr std::string_view connect = "40";  // CONNECT to the main namespace "/"
inline constexpr std::string_view pong = "3";
// Appends 42ID["EVENT",DATA]: an EVENT asking for an acknowledgement with id ID.
void append_request(std::string& out, std::string_view event, std::string_view data,
                    std::uint64_t id);
// Appends 42["EVENT",DATA]: an EVENT without acknowledgement.
void append_event(std::string& out, std::string_view event, std::string_view data);
// The DATA of a 42["EVENT",DATA] (raw JSON); empty when `message` is not that event.
std::string_view event_data(std::string_view message, std::string_view event);
// An acknowledgement 43ID[DATA] is an Answer; handshake and heartbeat packets say what they are.
Incoming read(std::string_view message, Answer& answer);
}  // namespace socketio

}  // namespace wisp::tool::bench
