#include "server/http_router.hpp"

#include <algorithm>
#include <stdexcept>

#include "protocol/http_chars.hpp"

namespace wisp::server {
namespace {

std::string error(std::string_view what, std::string_view pattern) {
  std::string message = "wisp: ";
  message.append(what).append(": ").append(pattern);
  return message;
}

bool is_param_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

// Decodes %XX escapes of `in` onto `out`. Strict: false at a '%' without two hex digits. Form
// (application/x-www-form-urlencoded, WHATWG URL §5.1): '+' is a space and such a '%' is kept.
bool decode_into(std::string_view in, std::string& out, bool form) {
  const std::string_view specials = form ? "%+" : "%";
  while (!in.empty()) {
    const std::size_t at = in.find_first_of(specials);
    out.append(in.substr(0, at));
    if (at == std::string_view::npos) break;
    const bool escape = at + 2 < in.size() && protocol::hex_value(in[at + 1]) >= 0 &&
                        protocol::hex_value(in[at + 2]) >= 0;
    std::size_t used = 1;
    if (in[at] == '+') {
      out += ' ';
    } else if (escape) {
      out +=
          static_cast<char>(protocol::hex_value(in[at + 1]) * 16 + protocol::hex_value(in[at + 2]));
      used = 3;
    } else if (form) {
      out += '%';
    } else {
      return false;
    }
    in.remove_prefix(at + used);
  }
  return true;
}

// Calls f(name, value) with each raw '&'-separated pair of `query` until f returns false. A piece
// without '=' is a name with an empty value; empty pieces ("a&&b") are skipped.
template <class F>
void for_each_pair(std::string_view query, F f) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    if (!f(piece.substr(0, eq), value)) return;
  }
}

}  // namespace

struct RouteTable::Route {
  struct Segment {
    std::string_view text;  // a literal, or a parameter's name; views `pattern`
    bool param;
  };
  enum class Kind : std::uint8_t { Exact, Params, Wildcard };

  std::string method;
  std::string pattern;
  std::string shape;  // the pattern with parameter names left out, to find duplicates
  Kind kind = Kind::Exact;
  std::vector<Segment> segments;  // the wildcard itself is not one

  // Fills segments, kind and shape from pattern; throws std::invalid_argument if it is invalid.
  void compile();
  void add_segment(std::string_view segment);
};

void RouteTable::Route::compile() {
  const bool visible = std::all_of(pattern.begin(), pattern.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '?' && c != '#';
  });
  if (!visible) throw std::invalid_argument(error("invalid character in route pattern", pattern));
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument(error("route pattern must start with '/'", pattern));
  }
  std::string_view rest = std::string_view(pattern).substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "*" && slash == std::string_view::npos) {
      kind = Kind::Wildcard;
      shape += "/*";
      return;
    }
    add_segment(segment);
    if (slash == std::string_view::npos) return;
    rest.remove_prefix(slash + 1);
  }
}

void RouteTable::Route::add_segment(std::string_view segment) {
  shape += '/';
  if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
    const std::string_view name = segment.substr(1, segment.size() - 2);
    const bool repeated = std::any_of(segments.begin(), segments.end(),
                                      [&](const Segment& s) { return s.param && s.text == name; });
    if (!is_param_name(name) || repeated) {
      throw std::invalid_argument(error("invalid or repeated parameter name in route", pattern));
    }
    segments.push_back({name, true});
    kind = Kind::Params;
    shape += "{}";
    return;
  }
  if (segment.find_first_of("{}*") != std::string_view::npos) {
    throw std::invalid_argument(error("'{', '}' or '*' inside a route segment", pattern));
  }
  segments.push_back({segment, false});
  shape += segment;
}

RouteTable::RouteTable() = default;
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

std::size_t RouteTable::add(std::string_view method, std::string_view pattern) {
  if (!protocol::is_token(method)) {
    throw std::invalid_argument(error("route method is not a token", method));
  }
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = pattern;
  route->compile();
  for (const auto& other : routes_) {
    if (other->method == route->method && other->shape == route->shape) {
      throw std::invalid_argument(error("route already exists", other->pattern));
    }
  }
  const std::size_t index = routes_.size();
  if (route->kind == Route::Kind::Exact) {
    exact_[route->pattern].push_back(index);
  } else if (route->kind == Route::Kind::Params) {
    patterned_.insert(patterned_.end() - static_cast<std::ptrdiff_t>(wildcards_), index);
  } else {
    patterned_.push_back(index);
    ++wildcards_;
  }
  routes_.push_back(std::move(route));
  return index;
}

RouteMatch RouteTable::match(std::string_view method, std::string_view path,
                             RouteParams& params) const {
  RouteMatch m = find(method, path, params);
  if (m.status == RouteStatus::NotFound && method == "HEAD") m = find("GET", path, params);
  if (m.status == RouteStatus::NotFound && find({}, path, params).status != RouteStatus::NotFound) {
    m.status = RouteStatus::MethodNotAllowed;
  }
  return m;
}

RouteMatch RouteTable::match(std::string_view path, RouteParams& params) const {
  return find({}, path, params);
}

// The first route by precedence for `method` (empty: any) that matches `path`.
RouteMatch RouteTable::find(std::string_view method, std::string_view path,
                            RouteParams& params) const {
  const auto accepts = [&](std::size_t i) {
    return method.empty() || routes_[i]->method == method;
  };
  params.clear(path.size());
  if (const auto it = exact_.find(path); it != exact_.end()) {
    for (std::size_t i : it->second) {
      if (accepts(i)) return {RouteStatus::Found, i};
    }
  }
  for (std::size_t i : patterned_) {
    if (!accepts(i)) continue;
    switch (capture(*routes_[i], path, params)) {
      case Capture::NoMatch:
        continue;
      case Capture::Match:
        return {RouteStatus::Found, i};
      case Capture::BadEncoding:
        return {RouteStatus::BadRequest, i};
    }
  }
  return {RouteStatus::NotFound, 0};
}

// Walks the route's segments along `path`, collecting parameters as sent, then decodes them.
RouteTable::Capture RouteTable::capture(const Route& route, std::string_view path,
                                        RouteParams& params) {
  params.clear(path.size());
  for (const Route::Segment& s : route.segments) {
    if (!path.starts_with('/')) return Capture::NoMatch;
    path.remove_prefix(1);
    const std::string_view segment = path.substr(0, path.find('/'));
    if (s.param ? segment.empty() : segment != s.text) return Capture::NoMatch;
    if (s.param) params.params_.push_back({s.text, segment});
    path.remove_prefix(segment.size());
  }
  // Each segment ended at a '/' or at the end, so what is left is empty or starts with '/'.
  if (route.kind == Route::Kind::Wildcard) {
    params.params_.push_back({"*", path.empty() ? path : path.substr(1)});
  } else if (!path.empty()) {
    return Capture::NoMatch;
  }
  return params.decode() ? Capture::Match : Capture::BadEncoding;
}

std::string RouteTable::allow(std::string_view path) const {
  RouteParams scratch;
  std::vector<std::string_view> methods;
  for (const auto& route : routes_) {
    if (capture(*route, path, scratch) == Capture::NoMatch) continue;
    if (std::find(methods.begin(), methods.end(), route->method) == methods.end()) {
      methods.push_back(route->method);
    }
  }
  const auto get = std::find(methods.begin(), methods.end(), "GET");
  if (get != methods.end() && std::find(methods.begin(), methods.end(), "HEAD") == methods.end()) {
    methods.insert(get + 1, "HEAD");
  }
  std::string out;
  for (std::string_view m : methods) out.append(out.empty() ? "" : ", ").append(m);
  return out;
}

std::string_view RouteParams::get(std::string_view name) const {
  for (const RouteParam& p : params_) {
    if (p.name == name) return p.value;
  }
  return {};
}

void RouteParams::clear(std::size_t path_size) {
  params_.clear();
  decoded_.clear();
  decoded_.reserve(path_size);
}

bool RouteParams::decode() {
  for (RouteParam& p : params_) {
    if (p.value.find('%') == std::string_view::npos) continue;
    const std::size_t start = decoded_.size();
    if (!decode_into(p.value, decoded_, false)) return false;
    p.value = std::string_view(decoded_).substr(start);
  }
  return true;
}

bool percent_decode(std::string_view in, std::string& out) { return decode_into(in, out, false); }

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for_each_pair(query, [&](std::string_view name, std::string_view value) {
    auto& [decoded_name, decoded_value] = params.emplace_back();
    decode_into(name, decoded_name, true);
    decode_into(value, decoded_value, true);
    return true;
  });
  return params;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  std::optional<std::string> found;
  std::string decoded;
  for_each_pair(query, [&](std::string_view raw_name, std::string_view raw_value) {
    decoded.clear();
    decode_into(raw_name, decoded, true);
    if (decoded != name) return true;
    decode_into(raw_value, found.emplace(), true);
    return false;
  });
  return found;
}

}  // namespace wisp::server
