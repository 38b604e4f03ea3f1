// The connection's file responses (Response::file): the validators, 304 and 404, and the body
// through Socket::send_file, with pipelined requests held until it is out.
#include <fcntl.h>
#include <sys/stat.h>

#include <optional>

#include "net/unique_fd.hpp"
#include "protocol/http_response.hpp"
#include "server/connection.hpp"
#include "server/http_exchange.hpp"
#include "server/loop_server.hpp"
#include "wisp/http.hpp"

namespace wisp::server {
namespace {

struct OpenedFile {
  net::UniqueFd fd;
  std::uint64_t size;
  timespec modified;
};

// A regular file that can be read; nullopt for anything else (missing, a directory, a device).
std::optional<OpenedFile> open_regular(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return std::nullopt;  // would cut the C string
  net::UniqueFd fd(::open(std::string(path).c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return OpenedFile{std::move(fd), static_cast<std::uint64_t>(st.st_size), st.st_mtim};
}

// The client's copy is current: If-None-Match decides when sent (RFC 9110 §13.2.2); otherwise an
// If-Modified-Since that is the Last-Modified it was given.
bool not_modified(const protocol::HttpRequest& request, std::string_view etag,
                  std::string_view last_modified) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  const std::string_view tags = request.header("if-none-match");
  if (!tags.empty()) return protocol::if_none_match(tags, etag);
  return request.header("if-modified-since") == last_modified;
}

bool has_content_type(const Response& response) {
  for (const auto& [name, value] : response.headers()) {
    if (protocol::iequals(name, "content-type")) return true;
  }
  return false;
}

}  // namespace

void Connection::write_file(const Response& response, const protocol::HttpRequest& request,
                            const protocol::ResponseFraming& framing) {
  std::string& out = LoopServer::current().scratch();
  out.clear();
  std::optional<OpenedFile> file = open_regular(response.file_path());
  if (!file) {
    protocol::ResponseWriter(out, 404, framing)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body("Not Found");
    return write(out);
  }
  const std::string etag = protocol::file_etag(
      file->size, std::int64_t{file->modified.tv_sec} * 1'000'000'000 + file->modified.tv_nsec);
  protocol::HttpDate date;
  const std::string_view last_modified = date.at(file->modified.tv_sec);
  // A 304 carries the validator and the caller's fields (Cache-Control, say), not the
  // representation's metadata (RFC 9110 §15.4.5).
  const bool fresh = response.status() == 200 && not_modified(request, etag, last_modified);
  protocol::ResponseWriter writer(out, fresh ? 304 : response.status(), framing);
  for (const auto& [name, value] : response.headers()) writer.header(name, value);
  writer.header("ETag", etag);
  if (!fresh) {
    writer.header("Last-Modified", last_modified);
    if (!has_content_type(response)) {
      writer.header("Content-Type", protocol::content_type_for(response.file_path()));
    }
  }
  writer.end_head(file->size);
  write(out);
  if (writer.sends_body() && file->size > 0) send_file(std::move(file->fd), 0, file->size);
}

// Requests pipelined behind the file are answered now, in order.
void Connection::on_file_sent() { resume_held(); }

}  // namespace wisp::server
