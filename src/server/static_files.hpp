// The handler behind App::static_files: a URL path under a prefix names a file under a directory.
#pragma once

#include <string>

#include "wisp/app.hpp"

namespace wisp::server {

// Serves GET /prefix/* (the route's "*" parameter) from `directory`: index.html for a path that
// ends in '/', a 301 to the path with '/' added for a directory named without one, 400 for a
// path with a ".." segment or a NUL (it would leave the directory or cut the name), and what
// Response::file does for the rest (404 when missing).
App::HttpHandler static_files_handler(std::string directory);

}  // namespace wisp::server
