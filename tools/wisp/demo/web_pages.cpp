#include <string>

#include "web_assets.hpp"

namespace wisp::tool {
namespace {

std::string_view content_type(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "text/plain; charset=utf-8";  // .d.ts and the rest: shown as text
}

}  // namespace

void add_web_pages(App& app) {
  for (const WebAsset& asset : web_assets()) {
    const std::string path = asset.name == "index.html" ? "/" : "/" + std::string(asset.name);
    app.get(path, [asset](Request&, Response& res) {
      // no-cache: a rebuilt server's page is picked up on reload (the browser still revalidates).
      res.header("Content-Type", content_type(asset.name))
          .header("Cache-Control", "no-cache")
          .text(asset.content);
    });
  }
}

}  // namespace wisp::tool
