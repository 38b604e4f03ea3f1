// The client side of the opening handshake (protocol/client_handshake.hpp) and ws:// URLs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/url.hpp"
#include "protocol/client_handshake.hpp"
#include "protocol/handshake.hpp"

namespace wisp {
namespace {

using protocol::ResponseScan;

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3's example

std::string accept_for(std::string_view key) {
  const auto accept = protocol::accept_key(key);
  return std::string(accept.data(), accept.size());
}

std::string switching(std::string_view extra = {}) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept_for(kKey) + "\r\n" + std::string(extra) + "\r\n";
}

protocol::HandshakeResult check(const std::string& response,
                                std::vector<std::string> subprotocols = {}, bool deflate = true) {
  const ResponseScan scan = protocol::scan_response_head(response);
  EXPECT_EQ(scan.status, ResponseScan::Status::Complete) << response;
  std::optional<protocol::ClientDeflatePolicy> offer;
  if (deflate) offer = protocol::ClientDeflatePolicy{};
  return protocol::check_upgrade_response(scan.head, kKey, subprotocols, offer);
}

TEST(ClientUrl, TakesSchemeHostPortAndTarget) {
  const client::WebSocketUrl url = client::parse_websocket_url("wss://example.com:8443/chat?x=1#f");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.target, "/chat?x=1");
  EXPECT_EQ(url.host_header, "example.com:8443");
  const client::WebSocketUrl plain = client::parse_websocket_url("ws://[::1]?q");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.host, "::1");
  EXPECT_EQ(plain.port, 80);
  EXPECT_EQ(plain.target, "/?q");
  EXPECT_EQ(plain.host_header, "[::1]");
}

TEST(ClientUrl, RefusesOtherSchemesAndBadPorts) {
  EXPECT_THROW(client::parse_websocket_url("http://example.com/"), std::invalid_argument);
  EXPECT_THROW(client::parse_websocket_url("ws:///path"), std::invalid_argument);
  EXPECT_THROW(client::parse_websocket_url("ws://host:0/"), std::invalid_argument);
  EXPECT_THROW(client::parse_websocket_url("ws://host:70000/"), std::invalid_argument);
  EXPECT_THROW(client::parse_websocket_url("ws://host:/"), std::invalid_argument);
}

TEST(UpgradeRequest, CarriesKeyOffersAndHeaders) {
  const std::vector<std::string> protocols{"chat", "superchat"};
  const std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer t"}};
  const std::string request = protocol::upgrade_request({.host = "h:1",
                                                         .target = "/ws?a=b",
                                                         .key = kKey,
                                                         .subprotocols = protocols,
                                                         .extensions = "permessage-deflate",
                                                         .headers = headers});
  EXPECT_TRUE(request.starts_with("GET /ws?a=b HTTP/1.1\r\nHost: h:1\r\n")) << request;
  EXPECT_NE(request.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), std::string::npos);
  EXPECT_NE(request.find("Sec-WebSocket-Protocol: chat, superchat\r\n"), std::string::npos);
  EXPECT_NE(request.find("Sec-WebSocket-Extensions: permessage-deflate\r\n"), std::string::npos);
  EXPECT_NE(request.find("Authorization: Bearer t\r\n"), std::string::npos);
  EXPECT_TRUE(request.ends_with("\r\n\r\n"));
}

TEST(UpgradeRequest, RefusesAHeaderThatWouldSmuggleLines) {
  const std::vector<std::pair<std::string, std::string>> headers{{"X", "a\r\nEvil: 1"}};
  EXPECT_THROW(
      protocol::upgrade_request({.host = "h", .target = "/", .key = kKey, .headers = headers}),
      std::invalid_argument);
}

TEST(ResponseHead, WaitsForTheBlankLineAcrossPieces) {
  const std::string response = switching() + "frames";
  for (std::size_t cut = 0; cut < response.size() - 6; ++cut) {
    EXPECT_EQ(protocol::scan_response_head(response.substr(0, cut)).status,
              ResponseScan::Status::Incomplete);
  }
  const ResponseScan scan = protocol::scan_response_head(response);
  ASSERT_EQ(scan.status, ResponseScan::Status::Complete);
  EXPECT_EQ(scan.size, response.size() - 6);
  EXPECT_EQ(scan.head.status, 101);
  EXPECT_EQ(scan.head.reason, "Switching Protocols");
}

TEST(ResponseHead, RefusesGarbageAndOversizedHeads) {
  EXPECT_EQ(protocol::scan_response_head("SSH-2.0-OpenSSH\r\n\r\n").status,
            ResponseScan::Status::Error);
  EXPECT_EQ(protocol::scan_response_head("HTTP/1.1 101 OK\r\nno colon\r\n\r\n").status,
            ResponseScan::Status::Error);
  EXPECT_EQ(protocol::scan_response_head(std::string(100, 'a'), 64).status,
            ResponseScan::Status::Error);
}

TEST(UpgradeResponse, AcceptsAValidAnswer) {
  const auto result = check(switching("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: "
                                      "permessage-deflate; server_no_context_takeover\r\n"),
                            {"chat"});
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.subprotocol, "chat");
  ASSERT_TRUE(result.deflate);
  EXPECT_TRUE(result.deflate->server_no_context_takeover);
}

TEST(UpgradeResponse, FailsWhatRfc6455SaysTheClientMustFail) {
  EXPECT_FALSE(check("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").ok());
  EXPECT_FALSE(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                     accept_for("another key") + "\r\n\r\n")
                   .ok());
  EXPECT_FALSE(check("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: " +
                     accept_for(kKey) + "\r\n\r\n")
                   .ok());
  EXPECT_FALSE(check(switching("Sec-WebSocket-Extensions: x-custom\r\n")).ok());
  EXPECT_FALSE(
      check(switching("Sec-WebSocket-Extensions: permessage-deflate\r\n"), {}, false).ok());
  EXPECT_FALSE(check(switching("Sec-WebSocket-Protocol: chat\r\n")).ok());
  EXPECT_FALSE(check(switching("Sec-WebSocket-Protocol: other\r\n"), {"chat"}).ok());
  const auto refused = check(switching("Sec-WebSocket-Extensions: x-custom\r\n"));
  EXPECT_NE(refused.error.find("extension"), std::string::npos) << refused.error;
}

}  // namespace
}  // namespace wisp
