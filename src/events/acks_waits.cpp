#include "events/acks_waits.hpp"

#include <algorithm>
#include <optional>

namespace wisp::events {

AckWaits::~AckWaits() { timer_.cancel(); }

std::uint64_t AckWaits::open(std::string client_id, std::size_t expected,
                             Clock::time_point deadline, Done done) {
  std::lock_guard lock(mutex_);
  const std::uint64_t key = next_key_++;
  waits_.emplace(key, Wait{.client_id = std::move(client_id),
                           .expected = expected,
                           .answers = {},
                           .deadline = deadline,
                           .done = std::move(done)});
  deadlines_.emplace(deadline, key);
  if (deadline < armed_for_) arm(deadline);
  return key;
}

void AckWaits::expect(std::uint64_t key, std::size_t count, bool certain) {
  std::unique_lock lock(mutex_);
  const auto found = waits_.find(key);
  if (found == waits_.end()) return;  // ended by its timeout already
  found->second.expected = count;
  found->second.certain = certain;
  std::optional<Wait> done = take_if_complete(key);
  lock.unlock();
  if (done) done->done(std::move(done->answers), true);
}

void AckWaits::answer(std::uint64_t key, Ack ack) {
  std::unique_lock lock(mutex_);
  const auto found = waits_.find(key);
  if (found == waits_.end()) {
    ++counts_.late;
    return;
  }
  count(ack);
  found->second.answers.push_back(std::move(ack));
  std::optional<Wait> done = take_if_complete(key);
  lock.unlock();
  if (done) done->done(std::move(done->answers), true);
}

std::optional<AckWaits::Wait> AckWaits::take_if_complete(std::uint64_t key) {
  const auto found = waits_.find(key);
  const Wait& wait = found->second;
  if (!wait.certain || wait.expected == unknown || wait.answers.size() < wait.expected)
    return std::nullopt;
  deadlines_.erase({wait.deadline, key});
  std::optional<Wait> done(std::move(found->second));
  waits_.erase(found);
  return done;
}

void AckWaits::count(const Ack& ack) {
  if (ack.error == ack_error::disconnected)
    ++counts_.disconnected;
  else if (ack.error == ack_error::ack_limit)
    ++counts_.refused;
  else if (ack.error == ack_error::dropped)
    ++counts_.dropped;
  else
    ++counts_.answered;  // the client's answer, an error of its own included
}

// Under the lock. The App's timer runs on its first loop thread; a delay is rounded up so that
// the timer never fires before the deadline it was set for.
void AckWaits::arm(Clock::time_point deadline) {
  timer_.cancel();
  armed_for_ = deadline;
  const auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  timer_ = app_.after(std::max(delay, std::chrono::milliseconds(1)), [this] { expire(); });
}

void AckWaits::expire() {
  std::vector<Wait> ended;
  {
    std::lock_guard lock(mutex_);
    armed_for_ = Clock::time_point::max();
    const Clock::time_point now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const auto found = waits_.find(deadlines_.begin()->second);
      deadlines_.erase(deadlines_.begin());
      ++counts_.timed_out;
      ended.push_back(std::move(found->second));
      waits_.erase(found);
    }
    if (!deadlines_.empty()) arm(deadlines_.begin()->first);
  }
  for (Wait& wait : ended) {
    if (!wait.client_id.empty())
      wait.answers.push_back(
          {.client_id = wait.client_id, .error = std::string(ack_error::timeout), .data = {}});
    wait.done(std::move(wait.answers), false);
  }
}

void AckWaits::add_to(AckStats& stats) const {
  std::lock_guard lock(mutex_);
  stats.waiting += waits_.size();
  stats.answered += counts_.answered;
  stats.timed_out += counts_.timed_out;
  stats.disconnected += counts_.disconnected;
  stats.refused += counts_.refused;
  stats.dropped += counts_.dropped;
  stats.late += counts_.late;
}

}  // namespace wisp::events
