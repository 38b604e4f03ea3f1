// The hub's rooms with history on a cluster broker: the streams are the broker's (in Redis,
// broker/redis_history.hpp), so that a client recovers on any node.
//
// Why a join cannot miss or repeat a message: every node delivers a room's messages from Redis,
// in offset order, each posted to every loop's inbox (an ordered publish). The broker answers a
// join's read in order with those deliveries (Broker::history_read): every message up to the
// read's offset T was posted before the answer, every later one after it. The answer posts to the
// client's loop the missed messages (up to T, from the read) and the client's subscription: that
// loop runs the deliveries up to T before it, and every later one after.
#include "events/hub_impl.hpp"

namespace wisp {

void events::HubImpl::emit_to_stream(std::string_view room, std::string_view except,
                                     const HistoryRule& rule, std::string_view head) {
  history.count_appended();
  cluster.broker.history_append({.topic = room_topic(room),
                                 .head = head,
                                 .except_client = except,
                                 .size = rule.size,
                                 .ttl = rule.ttl});
}

// `joined` runs on the client's loop after the missed messages were sent (null: the stream
// could not be read).
void events::HubImpl::join_stream(std::string_view id, std::string_view room,
                                  const HistoryRule& rule, const events::StreamPosition* since,
                                  bool subscribe, StreamJoined joined) {
  std::string topic = room_topic(room);
  const std::optional<events::StreamPosition> from = since ? std::optional(*since) : std::nullopt;
  cluster.broker.history_read(
      {.topic = topic,
       .since = from ? std::optional(from->offset) : std::nullopt,
       .max = settings.history.max_recover,
       .ttl = rule.ttl,
       .subscribe = subscribe},
      [this, id = std::string(id), topic, from, subscribe,
       joined = std::move(joined)](std::optional<broker::StreamRead> read) {
        std::optional<events::Recovery> recovery;
        if (read)
          recovery = events::recovery_of({read->epoch, read->offset}, read->first,
                                         std::move(read->envelopes), from ? &*from : nullptr,
                                         settings.history.max_recover);
        if (from) history.count_recovery(recovery && recovery->recovered);
        cluster.post_to_client(
            id, [topic, subscribe, recovery = std::move(recovery), joined](WebSocket& ws) {
              if (recovery)
                for (const std::string& missed : recovery->missed) ws.send(missed);
              if (subscribe) ws.subscribe(topic);
              if (joined) joined(recovery ? &*recovery : nullptr);
            });
      });
}

// A client already in the room is subscribed already: it only learns the position.
void events::HubImpl::join_recovering_later(WebSocket& ws, std::string_view room,
                                            const HistoryRule& rule, const json& since,
                                            std::function<void(json)> done) {
  const std::optional<events::StreamPosition> from =
      since.is_null() ? std::nullopt : std::optional(read_position(since));
  const bool joined = members.join(ws.client_id(), room);
  const bool asked = from && joined;
  join_stream(ws.client_id(), room, rule, asked ? &*from : nullptr, joined,
              [asked, done = std::move(done)](const events::Recovery* recovery) {
                done(join_fields(recovery, asked));
              });
}

}  // namespace wisp
