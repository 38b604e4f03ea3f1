#include "server/cluster_node.hpp"

#include <memory>
#include <optional>

#include "log/log.hpp"
#include "server/loop_server.hpp"
#include "server/loops.hpp"
#include "server/registry.hpp"
#include "server/topic_streams.hpp"
#include "server/topics.hpp"

namespace wisp::server {

void ClusterNode::deliver(const broker::Publish& message) {
  std::optional<std::string> formatted = streams_ ? streams_->formatted(message) : std::nullopt;
  if (!formatted) return deliver_as_is(message);
  broker::Publish copy = message;
  copy.message = *formatted;
  deliver_as_is(copy);
}

void ClusterNode::deliver_as_is(const broker::Publish& message) {
  LoopServer* here = nullptr;
  std::shared_ptr<const std::string> payload;  // copied once, only if another loop needs it
  loops_.each([&](LoopServer& loop, bool mine) {
    if (mine && !message.ordered) {
      here = &loop;
      return;
    }
    if (!payload) payload = std::make_shared<const std::string>(message.message);
    loop.loop().post([this, &loop, payload, topic = std::string(message.topic), op = message.op,
                      compress = message.compress, skip = std::string(message.except_client)] {
      Publication publication(op, *payload, compress, loop.compression());
      loop.topics().deliver(topic, publication, connection_on(loop, skip));
    });
  });
  if (!here) return;
  const auto* except = static_cast<const Connection*>(message.except_here);
  Publication publication(message.op, message.message, message.compress, here->compression());
  here->topics().deliver(message.topic, publication,
                         except ? except : connection_on(*here, message.except_client));
}

Connection* ClusterNode::connection_on(const LoopServer& loop, std::string_view id) const {
  if (id.empty()) return nullptr;
  const auto [on, connection] = registry_.find(id);
  return on == &loop ? connection : nullptr;
}

bool ClusterNode::holds(std::string_view client_id) const {
  return registry_.find(client_id).first != nullptr;
}

namespace {

void run_reporting(const std::function<void()>& task) {
  try {
    task();
  } catch (const std::exception& error) {
    logs::exception("an answer's callback", error.what());
  }
}

}  // namespace

broker::ReturnPath::Runner ClusterNode::to_caller() const {
  LoopServer* caller = loops_.here();
  if (!caller) return run_reporting;
  return [this, caller](std::function<void()> task) {
    if (loops_.here() == caller) return run_reporting(task);
    loops_.post(*caller, [task = std::move(task)] { run_reporting(task); });
  };
}

}  // namespace wisp::server
