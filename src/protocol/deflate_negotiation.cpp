#include "protocol/deflate_negotiation.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace wisp::protocol {
namespace {

constexpr std::string_view kExtension = "permessage-deflate";

// The parameter names of §7.1, in the order answers write them.
constexpr std::array<std::string_view, 4> kParamNames = {
    "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
    "client_max_window_bits"};
enum Param { kServerNoContext, kClientNoContext, kServerWindow, kClientWindow };

// Offers may send client_max_window_bits without a value; responses may not (§7.1.2.2).
enum class Side { Offer, Response };

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Cuts `rest` at the first `separator` outside a quoted-string: returns the text before it and
// leaves the text after it in `rest` (empty when there is no separator).
std::string_view next_item(std::string_view& rest, char separator) {
  bool quoted = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (quoted && rest[i] == '\\') {
      ++i;  // quoted-pair: the next character is literal
    } else if (rest[i] == '"') {
      quoted = !quoted;
    } else if (rest[i] == separator && !quoted) {
      const std::string_view item = rest.substr(0, i);
      rest.remove_prefix(i + 1);
      return item;
    }
  }
  return std::exchange(rest, std::string_view{});
}

// A window size: 8-15 without leading zeros, as a token or a quoted-string whose unescaped
// content is that token (§7.1). Digits are collected as quoted-pairs are unescaped, so no copy.
std::optional<int> window_bits(std::string_view value) {
  const bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"';
  if (quoted) value = value.substr(1, value.size() - 2);
  int bits = 0;
  int digits = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = quoted && value[i] == '\\' && i + 1 < value.size() ? value[++i] : value[i];
    if (c < '0' || c > '9' || ++digits > 2 || (digits == 2 && bits == 0)) return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (digits == 0 || bits < 8 || bits > 15) return std::nullopt;
  return bits;
}

// Applies one "name[=value]" parameter. False when it is malformed, unknown, already seen, has
// a value it must not have or lacks one it needs.
bool apply_param(std::string_view item, Side side, unsigned& seen, DeflateParams& params) {
  const auto eq = item.find('=');
  const std::string_view name = trim(item.substr(0, eq));
  const bool has_value = eq != std::string_view::npos;
  const std::optional<int> bits = has_value ? window_bits(trim(item.substr(eq + 1))) : 15;
  const auto known = std::ranges::find_if(kParamNames, [&](auto n) { return iequals(n, name); });
  if (known == kParamNames.end()) return false;
  const auto param = static_cast<Param>(known - kParamNames.begin());
  if (seen & (1u << param)) return false;
  seen |= 1u << param;
  switch (param) {
    case kServerNoContext:
      params.server_no_context_takeover = true;
      return !has_value;
    case kClientNoContext:
      params.client_no_context_takeover = true;
      return !has_value;
    case kServerWindow:
      params.server_max_window_bits_sent = true;
      params.server_max_window_bits = bits.value_or(0);
      return has_value && bits;
    case kClientWindow:
      params.client_max_window_bits_sent = true;
      params.client_max_window_bits = bits.value_or(0);
      return (has_value || side == Side::Offer) && bits;
  }
  return false;
}

// The parameters of one permessage-deflate element (the text after its name), or nullopt.
std::optional<DeflateParams> parse_params(std::string_view text, Side side) {
  DeflateParams params;
  unsigned seen = 0;
  while (!text.empty()) {
    if (!apply_param(next_item(text, ';'), side, seen, params)) return std::nullopt;
  }
  return params;
}

// The permessage-deflate elements of an extension list, in order; other extensions and empty
// list elements are skipped.
class DeflateElements {
 public:
  explicit DeflateElements(std::string_view header) : rest_(header) {}

  // The next element's parameter text, or nullopt at the end of the list.
  std::optional<std::string_view> next() {
    while (!rest_.empty()) {
      std::string_view element = next_item(rest_, ',');
      if (iequals(trim(next_item(element, ';')), kExtension)) return element;
    }
    return std::nullopt;
  }

 private:
  std::string_view rest_;
};

int clamp_bits(int bits) { return std::clamp(bits, 8, 15); }

std::optional<DeflateParams> agree(const DeflateParams& offer, const ServerDeflatePolicy& policy) {
  const int client_bits = clamp_bits(policy.client_max_window_bits);
  if (client_bits < 15 && !offer.client_max_window_bits_sent) return std::nullopt;
  DeflateParams agreed;
  // An offered client_no_context_takeover is echoed: it costs the client nothing it did not
  // announce, and tells the server it may inflate that socket with a shared inflater.
  agreed.server_no_context_takeover =
      offer.server_no_context_takeover || !policy.server_context_takeover;
  agreed.client_no_context_takeover =
      offer.client_no_context_takeover || !policy.client_context_takeover;
  // An offered server_max_window_bits must be answered, with the same or a smaller value
  // (§7.1.2.1); an absent one reads 15.
  agreed.server_max_window_bits =
      std::min(offer.server_max_window_bits, clamp_bits(policy.server_max_window_bits));
  agreed.server_max_window_bits_sent =
      offer.server_max_window_bits_sent || agreed.server_max_window_bits < 15;
  agreed.client_max_window_bits = std::min(offer.client_max_window_bits, client_bits);
  agreed.client_max_window_bits_sent = agreed.client_max_window_bits < 15;
  return agreed;
}

DeflateParams offer_params(const ClientDeflatePolicy& policy) {
  DeflateParams offer;
  offer.server_no_context_takeover = policy.server_no_context_takeover;
  offer.client_no_context_takeover = policy.client_no_context_takeover;
  offer.server_max_window_bits = clamp_bits(policy.server_max_window_bits);
  offer.server_max_window_bits_sent = offer.server_max_window_bits < 15;
  offer.client_max_window_bits = clamp_bits(policy.client_max_window_bits);
  offer.client_max_window_bits_sent = true;
  return offer;
}

// Whether a response honors the offer it answers (§7.1.1.1, §7.1.2.1, §7.1.2.2).
bool honors(const DeflateParams& response, const DeflateParams& offer) {
  if (offer.server_no_context_takeover && !response.server_no_context_takeover) return false;
  if (offer.server_max_window_bits_sent &&
      (!response.server_max_window_bits_sent ||
       response.server_max_window_bits > offer.server_max_window_bits)) {
    return false;
  }
  return !response.client_max_window_bits_sent ||
         (offer.client_max_window_bits_sent &&
          response.client_max_window_bits <= offer.client_max_window_bits);
}

// Writes an offer or an answer. client_max_window_bits of 15 is written bare (an offer's "the
// server may limit me"); agree() never sends it with 15.
std::string format(const DeflateParams& params) {
  std::string out(kExtension);
  const auto append_param = [&](Param param, int bits) {
    out.append("; ").append(kParamNames[param]);
    if (bits) out.append("=").append(std::to_string(bits));
  };
  if (params.server_no_context_takeover) append_param(kServerNoContext, 0);
  if (params.client_no_context_takeover) append_param(kClientNoContext, 0);
  if (params.server_max_window_bits_sent) {
    append_param(kServerWindow, params.server_max_window_bits);
  }
  if (params.client_max_window_bits_sent) {
    append_param(kClientWindow,
                 params.client_max_window_bits < 15 ? params.client_max_window_bits : 0);
  }
  return out;
}

}  // namespace

std::optional<DeflateParams> negotiate_deflate(std::string_view sec_websocket_extensions,
                                               const ServerDeflatePolicy& policy) {
  DeflateElements elements(sec_websocket_extensions);
  while (const auto text = elements.next()) {
    const std::optional<DeflateParams> offer = parse_params(*text, Side::Offer);
    if (!offer) continue;
    if (auto agreed = agree(*offer, policy)) return agreed;
  }
  return std::nullopt;
}

std::string deflate_response(const DeflateParams& agreed) { return format(agreed); }

std::string deflate_offer(const ClientDeflatePolicy& policy) {
  return format(offer_params(policy));
}

DeflateResponse accept_deflate_response(std::string_view sec_websocket_extensions,
                                        const ClientDeflatePolicy& offered) {
  DeflateElements elements(sec_websocket_extensions);
  const auto text = elements.next();
  if (!text) return {.valid = true, .agreement = std::nullopt};  // declined
  if (elements.next()) return {};
  const std::optional<DeflateParams> response = parse_params(*text, Side::Response);
  const DeflateParams offer = offer_params(offered);
  if (!response || !honors(*response, offer)) return {};
  DeflateParams agreed = *response;
  agreed.client_no_context_takeover |= offer.client_no_context_takeover;
  agreed.client_max_window_bits =
      std::min(agreed.client_max_window_bits, offer.client_max_window_bits);
  return {.valid = true, .agreement = agreed};
}

}  // namespace wisp::protocol
