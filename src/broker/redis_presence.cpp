#include "broker/redis_presence.hpp"

#include <array>

#include "broker/redis_presence_scripts.hpp"
#include "broker/redis_scripts.hpp"

namespace wisp::broker {
namespace {

enum Script { add_script, remove_script, forget_script, refresh_script, count_script };

// Each script's text: the prelude, then its body.
const std::array<std::string, 5>& script_texts() {
  static const std::array<std::string, 5> texts = [] {
    std::array<std::string, 5> out;
    const std::string_view bodies[] = {scripts::presence_add, scripts::presence_remove,
                                       scripts::presence_forget, scripts::presence_refresh,
                                       scripts::presence_count};
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = std::string(scripts::presence_prelude).append(bodies[i]);
    return out;
  }();
  return texts;
}

std::string sha_of(Script script) { return scripts::sha1_hex(script_texts()[script]); }

std::string_view text_of(const redisReply& reply) { return {reply.str, reply.len}; }

bool failed(const redisReply* reply) {
  return reply == nullptr || reply->type == REDIS_REPLY_ERROR;
}

bool no_script(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
         text_of(*reply).starts_with("NOSCRIPT");
}

}  // namespace

RedisPresence::RedisPresence(const RedisOptions& options, std::string node_id,
                             std::shared_ptr<LoopInbox> inbox)
    : node_id_(std::move(node_id)),
      hash_prefix_(options.prefix + "presence:"),
      set_prefix_(options.prefix + "node-presence:"),
      set_key_(set_prefix_ + node_id_),
      nodes_key_(options.prefix + "presence-nodes"),
      lifetime_(std::to_string(2 * options.presence_ttl.count())),
      ttl_(std::to_string(options.presence_ttl.count())),
      add_sha_(sha_of(add_script)),
      remove_sha_(sha_of(remove_script)),
      forget_sha_(sha_of(forget_script)),
      refresh_sha_(sha_of(refresh_script)),
      count_sha_(sha_of(count_script)),
      inbox_(std::move(inbox)) {}

std::string RedisPresence::set_entry(std::string_view key, std::string_view client_id) {
  return std::to_string(key.size()).append(":").append(key).append(client_id);
}

// --- the hub's calls, from any thread ---

void RedisPresence::add(std::string_view key, std::string_view client_id, std::string_view info) {
  inbox_->run([this, key = std::string(key), id = std::string(client_id),
               info = std::string(info)]() mutable {
    if (stopped_.load(std::memory_order_acquire)) return;
    auto [entry, fresh] = entries_.insert_or_assign({std::move(key), std::move(id)}, info);
    if (writable()) write(*entry);
  });
}

void RedisPresence::remove(std::string_view key, std::string_view client_id) {
  inbox_->run([this, key = std::string(key), id = std::string(client_id)] {
    if (stopped_.load(std::memory_order_acquire) || entries_.erase({key, id}) == 0) return;
    if (writable()) erase(key, id);
  });
}

void RedisPresence::list(std::string_view key, Listed done) {
  inbox_->run([this, hash = hash(key), done = std::move(done)] {
    if (stopped_.load(std::memory_order_acquire) || !writable()) return done(std::nullopt);
    std::string_view args[] = {"HGETALL", hash};
    commands_->command(args, [done](const redisReply* reply) {
      if (failed(reply) || reply->type != REDIS_REPLY_ARRAY) return done(std::nullopt);
      std::vector<Entry> entries;
      for (std::size_t i = 0; i + 1 < reply->elements; i += 2)
        entries.push_back({std::string(text_of(*reply->element[i])),
                           std::string(text_of(*reply->element[i + 1]))});
      done(std::move(entries));
    });
  });
}

void RedisPresence::count(std::string_view key, std::string_view except, Counted done) {
  inbox_->run([this, hash = hash(key), except = std::string(except), done = std::move(done)] {
    if (stopped_.load(std::memory_order_acquire) || !writable()) return done(std::nullopt);
    std::string_view args[] = {"EVALSHA", count_sha_, "1", hash, except};
    commands_->command(args, [this, done](const redisReply* reply) {
      if (no_script(reply)) load_scripts();
      if (failed(reply) || reply->type != REDIS_REPLY_INTEGER) return done(std::nullopt);
      done(static_cast<std::size_t>(reply->integer));
    });
  });
}

void RedisPresence::on_lost(Lost lost) { lost_.push_back(std::move(lost)); }

// --- writes, on the loop thread ---

bool RedisPresence::writable() const { return commands_ != nullptr && commands_->ready(); }

void RedisPresence::write(const Entries::value_type& entry) {
  const auto& [key, id] = entry.first;
  const std::string room = hash(key), member = set_entry(key, id);
  std::string_view args[] = {"EVALSHA", add_sha_,     "3",      room,   set_key_, nodes_key_,
                             id,        entry.second, node_id_, member, lifetime_};
  commands_->command(args, [this](const redisReply* reply) { on_written(reply); });
}

void RedisPresence::erase(std::string_view key, std::string_view client_id) {
  const std::string room = hash(key), member = set_entry(key, client_id);
  std::string_view args[] = {"EVALSHA", remove_sha_, "2",      room,
                             set_key_,  client_id,   node_id_, member};
  commands_->command(args, [this](const redisReply* reply) { on_written(reply); });
}

// A failed write leaves Redis behind this node's entries: all are written again at the next
// refresh (nothing is lost for good while Redis answers).
void RedisPresence::on_written(const redisReply* reply) {
  if (no_script(reply)) load_scripts();
  if (failed(reply)) dirty_ = true;
}

void RedisPresence::rewrite() {
  dirty_ = false;
  forget([this](const redisReply* reply) { on_written(reply); });
  for (const auto& entry : entries_) write(entry);
}

void RedisPresence::forget(RedisConnection::Reply done) {
  std::string_view args[] = {"EVALSHA", forget_sha_, "1", set_key_, node_id_, hash_prefix_};
  commands_->command(args, std::move(done));
}

void RedisPresence::load_scripts() {
  for (const std::string& text : script_texts()) {
    std::string_view load[] = {"SCRIPT", "LOAD", text};
    commands_->command(load, {});
  }
}

// --- the broker's calls, on its loop thread ---

void RedisPresence::connected(RedisConnection& commands) {
  commands_ = &commands;
  load_scripts();
  rewrite();
}

void RedisPresence::refresh() {
  if (!writable()) return;
  if (dirty_) rewrite();
  std::string_view args[] = {"EVALSHA", refresh_sha_, "2",          nodes_key_, set_key_,
                             node_id_,  ttl_,         hash_prefix_, set_prefix_};
  commands_->command(args, [this](const redisReply* reply) { on_refreshed(reply); });
}

void RedisPresence::on_refreshed(const redisReply* reply) {
  if (no_script(reply)) load_scripts();
  if (failed(reply) || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return;
  if (reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[0]->integer == 1) rewrite();
  for (std::size_t i = 1; i + 1 < reply->elements; i += 2) {
    const std::string_view key = text_of(*reply->element[i]), id = text_of(*reply->element[i + 1]);
    for (const Lost& lost : lost_) lost(key, id);
  }
}

void RedisPresence::stop() {
  if (stopped_.exchange(true, std::memory_order_acq_rel) || !writable()) return;
  forget({});
}

}  // namespace wisp::broker
