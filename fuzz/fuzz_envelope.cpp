// libFuzzer target for the hub's envelope scanner (events/envelope_scan.hpp).
//
// Invariants, for text that is valid UTF-8 (the frame reader guarantees it before the hub sees a
// message) and holds no NUL byte (which nlohmann takes for the end of its input): the scanner
// accepts exactly what nlohmann::json accepts, calls an object an object, and finds the same
// "type", "id" and "data" that nlohmann's DOM holds; the hub's reader builds the same DOM, and its
// writer writes text that reads back to it. Any input: no crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "events/envelope_scan.hpp"
#include "events/envelope_writer.hpp"
#include "events/json_reader.hpp"
#include "protocol/utf8.hpp"

namespace {

using nlohmann::json;
using wisp::events::EnvelopeScan;

void check(bool condition) {
  if (!condition) std::abort();
}

// The raw JSON text the scanner found for a member, against the DOM's member.
void check_member(const json& dom, const char* key, std::string_view raw) {
  const auto found = dom.find(key);
  check((found == dom.end()) == raw.empty());
  if (found != dom.end()) check(json::parse(raw) == *found);
}

void check_against_dom(const EnvelopeScan& scan, const json& dom) {
  if (!dom.is_object()) return check(scan.status == EnvelopeScan::Status::NotObject);
  check_member(dom, "id", scan.id);
  check_member(dom, "data", scan.data);
  const auto type = dom.find("type");
  if (type == dom.end() || !type->is_string())
    return check(scan.status == EnvelopeScan::Status::MissingType);
  check(scan.status == EnvelopeScan::Status::Ok);
  const std::string_view raw_type(scan.type.data() - 1, scan.type.size() + 2);  // with quotes
  check(json::parse(raw_type) == *type);
  check(scan.type_escaped == (scan.type.find('\\') != std::string_view::npos));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const EnvelopeScan scan = wisp::events::scan_envelope(text);
  // nlohmann takes a NUL byte for the end of its input; the scanner, rightly, does not.
  if (!wisp::protocol::is_valid_utf8(text) || text.find('\0') != std::string_view::npos) return 0;
  const json dom = json::parse(text, nullptr, false);  // discarded: invalid
  check(dom.is_discarded() == (scan.status == EnvelopeScan::Status::InvalidJson));
  if (dom.is_discarded()) return 0;
  check_against_dom(scan, dom);
  const json read = wisp::events::read_valid_json(text);
  check(read == dom);
  std::string written;
  wisp::events::append_json(written, read);
  check(json::parse(written) == dom);
  return 0;
}
