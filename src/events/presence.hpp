// Presence in hub rooms: who is in a room with the info attached to each client (its metadata),
// listed from the membership every node keeps of its own clients (cluster-wide through a
// gather), and, with HubSettings::presence_events, the joins and leaves pushed to the room's other
// members as the reserved types presence_join / presence_leave.
//
// Cross-node payload (broker/payload.hpp fields; the kind is the hub's):
//   presence  text room, text except  -> number n, then n times: text id, text info (JSON object)
#pragma once

#include <string_view>
#include <vector>

#include "wisp/hub.hpp"

namespace wisp::events {

// This node's members of `room` (but `except`), with their info.
std::vector<Presence> presence_here(Hub::Impl& hub, std::string_view room, std::string_view except);
// Every node's, to `done` on the calling loop thread.
void presence_everywhere(Hub::Impl& hub, std::string_view room, std::string_view except,
                         std::function<void(std::vector<Presence>)> done);

// When HubSettings::presence_events is on: tells the room's other members.
void announce_join(Hub::Impl& hub, std::string_view id, std::string_view room);
void announce_leave(Hub::Impl& hub, std::string_view id, std::string_view room);

void add_presence_question(Hub::Impl& hub);

}  // namespace wisp::events
