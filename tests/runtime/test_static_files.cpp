// Static files: App::static_files and Response::file over plain TCP and TLS. Content types,
// validators and 304, HEAD, an 8 MiB file byte-exact, pipelining and keep-alive behind a file,
// paths that would leave the directory, and a client that stops reading.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "http_test_support.hpp"
#include "raw_client.hpp"
#include "server_thread.hpp"
#include "tls_test_support.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kLarge = 8 << 20;

// Bytes that differ at every offset (mod 251, a prime), so a lost, doubled or shifted chunk shows.
std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i % 251);
  return bytes;
}

// A temporary tree: root/{index.html, app.js, site.css, data.bin, big.bin, docs/index.html},
// and secret.txt beside root (which no request may reach), plus a self-signed certificate.
struct Tree {
  fs::path dir;
  Tree() {
    char name[] = "/tmp/wisp-static-XXXXXX";
    if (!mkdtemp(name)) throw std::runtime_error("no temporary directory");
    dir = name;
    fs::create_directories(dir / "root" / "docs");
    write("root/index.html", "<h1>home</h1>");
    write("root/app.js", "console.log(1)");
    write("root/site.css", "body{}");
    write("root/data.bin", "\x01\x02");
    write("root/docs/index.html", "<h1>docs</h1>");
    write("root/big.bin", pattern(kLarge));
    write("secret.txt", "top secret");
  }
  ~Tree() { fs::remove_all(dir); }
  void write(const std::string& relative, const std::string& bytes) const {
    std::ofstream(dir / relative, std::ios::binary) << bytes;
  }
  std::string path(const std::string& relative) const { return (dir / relative).string(); }
  bool make_certificate() const {
    return sh(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -keyout " +
        path("key.pem") + " -out " + path("cert.pem"));
  }
};

const Tree& tree() {
  static const Tree made;
  return made;
}

class FileServer {
 public:
  explicit FileServer(bool tls = false) {
    app_.static_files("/static", tree().path("root"));
    app_.get("/download", [](Request&, Response& res) {
      res.header("Content-Type", "application/x-wisp").header("Cache-Control", "no-cache");
      res.file(tree().path("root/data.bin"));
    });
    app_.get("/small", [](Request&, Response& res) { res.text("small"); });
    if (tls) {
      if (!tree().make_certificate()) throw std::runtime_error("openssl could not make a cert");
      app_.listen(
          "127.0.0.1", 0,
          TlsOptions{.cert_file = tree().path("cert.pem"), .key_file = tree().path("key.pem")});
    }
    running_.emplace(app_);  // also listens in plain TCP: ports()[0] is TLS when there is one
  }
  std::uint16_t port() const { return app_.ports()[0]; }

 private:
  App app_;
  std::optional<ServerThread> running_;
};

TEST(StaticFiles, ContentTypeByExtensionAndIndexForADirectory) {
  FileServer server;
  const auto js = ask(server.port(), get("/static/app.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ask(server.port(), get("/static/site.css")).header("Content-Type"),
            "text/css; charset=utf-8");
  EXPECT_EQ(ask(server.port(), get("/static/data.bin")).header("Content-Type"),
            "application/octet-stream");
  const auto home = ask(server.port(), get("/static/"));
  EXPECT_EQ(home.body, "<h1>home</h1>");
  EXPECT_EQ(home.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(ask(server.port(), get("/static/docs/")).body, "<h1>docs</h1>");
  const auto moved = ask(server.port(), get("/static/docs?x=1"));
  EXPECT_EQ(moved.status, 301);
  EXPECT_EQ(moved.header("Location"), "/static/docs/?x=1");
}

TEST(StaticFiles, HandlerHeadersAndTypeWin) {
  FileServer server;
  const auto res = ask(server.port(), get("/download"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "\x01\x02");
  EXPECT_EQ(res.header("Content-Type"), "application/x-wisp");
  EXPECT_EQ(res.header("Cache-Control"), "no-cache");
}

TEST(StaticFiles, EtagAndLastModifiedGive304) {
  FileServer server;
  const auto first = ask(server.port(), get("/static/app.js"));
  const auto etag = first.header("ETag");
  const auto modified = first.header("Last-Modified");
  ASSERT_TRUE(etag && modified);
  EXPECT_TRUE(etag->starts_with("W/\"")) << *etag;

  RawClient client(server.port());
  client.send(get("/static/app.js", "If-None-Match: \"other\", " + *etag + "\r\n"));
  const auto cached = client.read_http_response();
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(cached.header("ETag"), etag);
  EXPECT_FALSE(cached.header("Content-Length"));
  client.send(get("/static/app.js", "If-Modified-Since: " + *modified + "\r\n"));
  EXPECT_EQ(client.read_http_response().status, 304);
  client.send(get("/static/app.js", "If-None-Match: \"other\"\r\n"));
  EXPECT_EQ(client.read_http_response().body, "console.log(1)");
  client.send(get("/download", "If-None-Match: " +
                                   *ask(server.port(), get("/download")).header("ETag") + "\r\n"));
  const auto handler_304 = client.read_http_response();
  EXPECT_EQ(handler_304.status, 304);
  EXPECT_EQ(handler_304.header("Cache-Control"), "no-cache") << "the caller's fields stay";
}

TEST(StaticFiles, HeadAnnouncesTheLengthWithoutTheBody) {
  FileServer server;
  RawClient client(server.port());
  client.send("HEAD /static/app.js HTTP/1.1\r\nHost: t\r\n\r\n" + get("/small"));
  const auto head = client.read_http_response();  // takes the next response as its "body"
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "14");
  EXPECT_EQ(head.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_TRUE(head.header("ETag"));
  EXPECT_EQ(head.body.substr(0, 12), "HTTP/1.1 200") << "no file bytes after a HEAD answer";
}

TEST(StaticFiles, LargeFileArrivesByteExactThenTheConnectionGoesOn) {
  FileServer server;
  RawClient client(server.port());
  client.send(get("/static/big.bin"));
  const auto big = client.read_http_response();
  EXPECT_EQ(big.status, 200);
  EXPECT_TRUE(big.body == pattern(kLarge)) << "the 8 MiB body differs";
  client.send(get("/small"));
  EXPECT_EQ(client.read_http_response().body, "small");
}

TEST(StaticFiles, RequestsPipelinedBehindAFileAreAnsweredInOrder) {
  FileServer server;
  RawClient client(server.port());
  client.send(get("/static/big.bin") + get("/static/app.js") + get("/small") +
              get("/static/big.bin", "Connection: close\r\n"));
  EXPECT_EQ(client.read_http_response().body.size(), kLarge);
  EXPECT_EQ(client.read_http_response().body, "console.log(1)");
  EXPECT_EQ(client.read_http_response().body, "small");
  const auto last = client.read_http_response();
  EXPECT_TRUE(last.body == pattern(kLarge));
  EXPECT_EQ(last.header("Connection"), "close");
  EXPECT_EQ(client.wait_tcp_end(), TcpEnd::Closed);
}

TEST(StaticFiles, AClientThatStopsReadingDoesNotHoldUpOthers) {
  FileServer server;
  RawClient stalled(server.port());
  stalled.send(get("/static/big.bin") + get("/static/big.bin"));  // and never reads
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ask(server.port(), get("/static/app.js")).status, 200);
}

TEST(StaticFiles, AClientThatLeavesMidFileLeavesTheServerServing) {
  FileServer server;
  for (int i = 0; i < 5; ++i) {
    RawClient leaving(server.port());
    leaving.send(get("/static/big.bin"));
    char some[1000];
    ASSERT_GT(::recv(leaving.fd(), some, sizeof some, 0), 0);
  }  // closed with most of the file unread: the server's next send fails (EPIPE, no SIGPIPE)
  EXPECT_EQ(ask(server.port(), get("/static/app.js")).body, "console.log(1)");
}

TEST(StaticFiles, PathsOutsideTheDirectoryAreRefused) {
  FileServer server;
  for (const char* target :
       {"/static/../secret.txt", "/static/docs/../../secret.txt", "/static/%2e%2e/secret.txt",
        "/static/docs%2f..%2f..%2fsecret.txt", "/static/app.js%00.html"}) {
    const auto res = ask(server.port(), get(target));
    EXPECT_EQ(res.status, 400) << target;
    EXPECT_EQ(res.body.find("top secret"), std::string::npos) << target;
  }
  // An absolute path after the prefix still names a file under the directory.
  const std::string outside = tree().path("secret.txt");
  EXPECT_EQ(ask(server.port(), get("/static/" + outside)).status, 404);
}

TEST(StaticFiles, MissingFileAndDirectoryWithoutIndexAre404AndKeepTheConnection) {
  FileServer server;
  RawClient client(server.port());
  client.send(get("/static/nope.txt"));
  EXPECT_EQ(client.read_http_response().status, 404);
  client.send(get("/static/app.js"));
  EXPECT_EQ(client.read_http_response().status, 200);
  fs::create_directories(tree().dir / "root" / "empty");
  EXPECT_EQ(ask(server.port(), get("/static/empty/")).status, 404);
}

// ---- TLS ---------------------------------------------------------------------------------------

// A blocking OpenSSL client that does not check the certificate (the server's TLS is not what is
// tested here) and reads HTTP responses with a Content-Length.
class TlsClient : public TlsConnection {
 public:
  using TlsConnection::TlsConnection;

  // The body of the next response (its head must announce a Content-Length).
  std::string read_body() {
    while (in_.find("\r\n\r\n") == std::string::npos) more();
    const std::size_t head_end = in_.find("\r\n\r\n") + 4;
    const std::size_t at = in_.find("Content-Length: ");
    if (at == std::string::npos || at > head_end) throw std::runtime_error("no length: " + in_);
    const std::size_t size = std::stoul(in_.substr(at + 16));
    while (in_.size() < head_end + size) more();
    std::string body = in_.substr(head_end, size);
    in_.erase(0, head_end + size);
    return body;
  }

 private:
  void more() {
    if (!read_some(in_)) throw std::runtime_error("TLS read ended: " + ssl_errors());
  }

  std::string in_;
};

TEST(StaticFilesTls, LargeFileArrivesByteExactThenTheConnectionGoesOn) {
  FileServer server(true);
  TlsClient client(server.port());
  client.send(get("/static/big.bin") + get("/small"));
  EXPECT_TRUE(client.read_body() == pattern(kLarge)) << "the 8 MiB body differs";
  EXPECT_EQ(client.read_body(), "small");
  client.send(get("/static/app.js"));
  EXPECT_EQ(client.read_body(), "console.log(1)");
}

}  // namespace
}  // namespace wisp::test
