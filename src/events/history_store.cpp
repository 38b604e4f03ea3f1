#include "events/history_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "broker/random_id.hpp"

namespace wisp::events {

std::string_view refusal(const StreamPosition& now, std::uint64_t first_kept,
                         const StreamPosition& since, std::size_t max_recover) {
  if (since.epoch != now.epoch || since.offset > now.offset) return recovery_refused::epoch_changed;
  if (now.offset - since.offset > max_recover) return recovery_refused::too_many_missed;
  if (since.offset + 1 < first_kept) return recovery_refused::history_trimmed;
  return {};
}

Recovery recovery_of(const StreamPosition& now, std::uint64_t first_kept,
                     std::vector<std::string> kept_after, const StreamPosition* since,
                     std::size_t max_recover) {
  Recovery recovery;
  recovery.now = now;
  if (!since) return recovery;
  recovery.reason = refusal(now, first_kept, *since, max_recover);
  recovery.recovered = recovery.reason.empty();
  if (recovery.recovered) recovery.missed = std::move(kept_after);
  return recovery;
}

HistoryMessage history_message(std::string_view envelope) {
  const nlohmann::json message = nlohmann::json::parse(envelope);
  return {message["offset"], message["type"], message["data"]};
}

HistoryStore::HistoryStore(HistorySettings settings) : settings_(std::move(settings)) {}

const HistoryRule* HistoryStore::rule_for(std::string_view room) const {
  const HistoryRule* best = nullptr;
  for (const HistoryRule& rule : settings_.rooms) {
    if (room.starts_with(rule.prefix) && (!best || rule.prefix.size() > best->prefix.size()))
      best = &rule;
  }
  return best;
}

HistoryStore::Stream* HistoryStore::find(std::string_view room) {
  const auto found = streams_.find(room);
  return found == streams_.end() ? nullptr : &found->second;
}

HistoryStore::Stream& HistoryStore::stream(std::string_view room) {
  if (Stream* found = find(room)) {
    recent_.splice(recent_.end(), recent_, found->recent);
    return *found;
  }
  Stream& made = streams_[std::string(room)];
  made.epoch = broker::random_id();
  made.recent = recent_.insert(recent_.end(), std::string(room));
  keep_within_caps(room);
  return made;
}

void HistoryStore::drop_front(Stream& stream) {
  stats_.bytes -= stream.entries.front().envelope.size();
  stream.bytes -= stream.entries.front().envelope.size();
  --stats_.messages;
  stream.entries.pop_front();
}

void HistoryStore::trim(Stream& stream, const HistoryRule& rule, Clock::time_point now) {
  while (stream.entries.size() > rule.size) {
    drop_front(stream);
    ++stats_.trimmed_by_size;
  }
  while (!stream.entries.empty() && now - stream.entries.front().at > rule.ttl) {
    drop_front(stream);
    ++stats_.trimmed_by_age;
  }
}

// Whole streams go, the one written to longest ago first; never `spare` (the one in use).
void HistoryStore::keep_within_caps(std::string_view spare) {
  while ((streams_.size() > settings_.max_streams || stats_.bytes > settings_.max_bytes) &&
         recent_.front() != spare) {
    const auto victim = streams_.find(recent_.front());
    stats_.bytes -= victim->second.bytes;
    stats_.messages -= victim->second.entries.size();
    stats_.evicted_messages += victim->second.entries.size();
    ++stats_.streams_evicted;
    streams_.erase(victim);
    recent_.pop_front();
  }
}

void HistoryStore::append(std::string_view room, const HistoryRule& rule, const Make& make,
                          const std::function<void(std::string_view)>& publish) {
  std::lock_guard lock(mutex_);
  Stream& into = stream(room);
  const auto now = Clock::now();
  Entry& entry =
      into.entries.emplace_back(Entry{++into.offset, now, make(into.offset, into.epoch)});
  into.bytes += entry.envelope.size();
  stats_.bytes += entry.envelope.size();
  ++stats_.messages;
  ++stats_.appended;
  publish(entry.envelope);
  trim(into, rule, now);
  keep_within_caps(room);
}

Recovery HistoryStore::recover(std::string_view room, const HistoryRule& rule,
                               const StreamPosition* since,
                               const std::function<void()>& at_position) {
  std::lock_guard lock(mutex_);
  Stream& from = stream(room);
  trim(from, rule, Clock::now());
  Recovery out;
  out.now = {from.epoch, from.offset};
  if (since) {
    refuse_or_copy(from, *since, out);
    ++(out.recovered ? stats_.recovered : stats_.recovery_refused);
  }
  at_position();
  return out;
}

// An offset past the stream's last one was not of this epoch either.
void HistoryStore::refuse_or_copy(const Stream& stream, const StreamPosition& since,
                                  Recovery& out) const {
  const std::uint64_t first_kept =
      stream.entries.empty() ? stream.offset + 1 : stream.entries.front().offset;
  out.reason = refusal({stream.epoch, stream.offset}, first_kept, since, settings_.max_recover);
  out.recovered = out.reason.empty();
  if (!out.recovered) return;
  for (const Entry& entry : stream.entries) {
    if (entry.offset > since.offset) out.missed.push_back(entry.envelope);
  }
}

RoomHistory HistoryStore::last(std::string_view room, std::size_t limit) {
  Kept kept = last_kept(room, limit);
  RoomHistory history{std::move(kept.now.epoch), kept.now.offset, {}};
  for (const std::string& envelope : kept.messages)
    history.messages.push_back(history_message(envelope));
  return history;
}

Kept HistoryStore::last_kept(std::string_view room, std::size_t limit) {
  const HistoryRule* rule = rule_for(room);
  std::lock_guard lock(mutex_);
  Stream* from = rule ? find(room) : nullptr;
  if (!from) return {};
  trim(*from, *rule, Clock::now());
  Kept kept{{from->epoch, from->offset}, {}};
  const std::size_t count = std::min(limit, from->entries.size());
  for (auto entry = from->entries.end() - static_cast<std::ptrdiff_t>(count);
       entry != from->entries.end(); ++entry)
    kept.messages.push_back(entry->envelope);
  return kept;
}

void HistoryStore::count_appended() {
  std::lock_guard lock(mutex_);
  ++stats_.appended;
}

void HistoryStore::count_recovery(bool recovered) {
  std::lock_guard lock(mutex_);
  ++(recovered ? stats_.recovered : stats_.recovery_refused);
}

HistoryStats HistoryStore::stats() const {
  std::lock_guard lock(mutex_);
  HistoryStats now = stats_;
  now.streams = streams_.size();
  return now;
}

}  // namespace wisp::events
