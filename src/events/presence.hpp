// Presence in hub rooms: who is in a room with the info attached to each client (its metadata),
// listed from the membership every node keeps of its own clients (cluster-wide through a
// gather), and, with HubSettings::presence_events, the joins and leaves pushed to the room's other
// members as the reserved types presence_join / presence_leave.
//
// With a broker that keeps presence (the Redis broker), each join and leave is written there
// too, the lists and counts read from it, and the entries of a dead node removed by the node
// that finds it dead, which tells the room's members.
//
// Cross-node payload (broker/payload.hpp fields; the kind is the hub's):
//   presence  text room, text except  -> number n, then n times: text id, text info (JSON object)
#pragma once

#include <string_view>
#include <vector>

#include "wisp/hub.hpp"

namespace wisp::events {

// This node's members of `room` (but `except`), with their info.
std::vector<Presence> presence_here(events::HubImpl& hub, std::string_view room,
                                    std::string_view except);
// Every node's, to `done` on the calling loop thread: read from the broker's presence store
// (one round trip to Redis) when it keeps one and can answer, gathered from the nodes otherwise.
void presence_everywhere(events::HubImpl& hub, std::string_view room, std::string_view except,
                         std::function<void(std::vector<Presence>)> done);
void gather_presence(events::HubImpl& hub, std::string_view room, std::string_view except,
                     std::function<void(std::vector<Presence>)> done);
// Their number, the same way (HLEN), or Room::size's gather.
void presence_count(events::HubImpl& hub, const Room& room, std::string_view except,
                    std::function<void(std::size_t)> done);

// Whether joins and leaves matter beyond the membership (events, or the broker's store).
bool tracks_presence(const events::HubImpl& hub);
// A member of this node joined / left a room: the broker's store is told, and, when
// HubSettings::presence_events is on, the room's other members.
void presence_joined(events::HubImpl& hub, std::string_view id, std::string_view room);
void presence_left(events::HubImpl& hub, std::string_view id, std::string_view room);
// A client leaves the hub (it closed, or a connect hook refused it): it leaves its rooms.
void remove_member(events::HubImpl& hub, std::string_view id);

// The question the nodes answer for gather_presence, and the presence_leave (reason "node lost")
// for the entries of a node the broker found dead.
void add_presence_question(events::HubImpl& hub);

}  // namespace wisp::events
