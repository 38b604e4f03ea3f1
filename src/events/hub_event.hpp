// The Event a handler gets: the scanned message, with data, payload and id read on first use
// (the scan validated them: reading cannot fail).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "events/envelope_scan.hpp"
#include "wisp/hub.hpp"

namespace wisp::events {

class HubEvent final : public Event {
 public:
  HubEvent(Hub& hub, WebSocket& socket, std::string_view message, const EnvelopeScan& scan);
  HubEvent(const HubEvent&) = delete;  // type_ may point into decoded_type_
  HubEvent& operator=(const HubEvent&) = delete;

  const json& data() override { return parsed(data_, scan_.data); }
  const json& payload() override { return parsed(payload_, message_); }
  const json& id() override { return parsed(id_, scan_.id); }

  // The id's JSON text, echoed as it came (no parse); empty when the request had none.
  std::string_view raw_id() const { return scan_.reply_id(); }
  std::string_view raw_data() const { return scan_.data; }  // empty when absent
  bool deferred() const { return deferred_; }

 private:
  const json& parsed(std::optional<json>& slot, std::string_view text);

  std::string_view message_;
  EnvelopeScan scan_;
  std::string decoded_type_;  // only for a type written with escapes
  std::optional<json> data_, payload_, id_;
};

}  // namespace wisp::events
