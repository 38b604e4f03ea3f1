#include "server/static_files.hpp"

#include <sys/stat.h>

namespace wisp::server {
namespace {

// Why a decoded path relative to the directory may not be served; nullptr if it may.
const char* refusal(std::string_view relative) {
  if (relative.find('\0') != std::string_view::npos) return "Bad Request: NUL in the path";
  while (!relative.empty()) {
    const std::size_t slash = relative.find('/');
    if (relative.substr(0, slash) == "..") return "Bad Request: \"..\" in the path";
    if (slash == std::string_view::npos) break;
    relative.remove_prefix(slash + 1);
  }
  return nullptr;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

App::HttpHandler static_files_handler(std::string directory) {
  return [root = std::move(directory)](Request& req, Response& res) {
    const std::string_view relative = req.param("*");
    if (const char* reason = refusal(relative)) return res.status(400).text(reason);
    std::string path = root;
    path.append("/").append(relative);
    if (req.path().ends_with('/')) return res.file(path.append("index.html"));
    if (is_directory(path)) {  // relative links in its index.html need the '/'
      std::string location(req.path());
      location.append("/");
      if (!req.query().empty()) location.append("?").append(req.query());
      return res.status(301).header("Location", location).text("Moved Permanently");
    }
    res.file(path);
  };
}

}  // namespace wisp::server
