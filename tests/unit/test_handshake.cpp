// The opening handshake (RFC 6455 §4.2.1, §4.2.2) and base64 (RFC 4648).
#include "protocol/handshake.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "protocol/base64.hpp"

namespace wisp::protocol {
namespace {

std::string encode(std::string_view bytes) {
  std::string out(base64_encoded_size(bytes.size()), '?');
  base64_encode(bytes.data(), bytes.size(), out.data());
  return out;
}

std::string accept_of(std::string_view key) {
  const auto accept = accept_key(key);
  return {accept.data(), accept.size()};
}

// --- base64 (RFC 4648) ----------------------------------------------------------------------

TEST(Base64, Rfc4648TestVectors) {  // §10
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodedSizeOfRfc4648TestVectors) {
  EXPECT_EQ(base64_decoded_size(""), 0u);
  EXPECT_EQ(base64_decoded_size("Zg=="), 1u);
  EXPECT_EQ(base64_decoded_size("Zm8="), 2u);
  EXPECT_EQ(base64_decoded_size("Zm9v"), 3u);
  EXPECT_EQ(base64_decoded_size("Zm9vYg=="), 4u);
  EXPECT_EQ(base64_decoded_size("Zm9vYmE="), 5u);
  EXPECT_EQ(base64_decoded_size("Zm9vYmFy"), 6u);
}

TEST(Base64, MatchesOpenSslForEveryLengthAndByte) {
  std::mt19937 random(42);
  for (std::size_t size = 0; size <= 100; ++size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    if (size == 100) {
      for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(255 - i);
    }
    std::string expected(base64_encoded_size(size) + 1, '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()),
                    reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(size));
    expected.pop_back();
    ASSERT_EQ(encode(bytes), expected) << "size " << size;
    EXPECT_EQ(base64_decoded_size(expected), size);
  }
}

TEST(Base64, RefusesInvalidText) {
  const char* const invalid[] = {
      "Zg",        // not a multiple of 4
      "Zg=",       // not a multiple of 4
      "Zm9vY",     // not a multiple of 4
      "Zg=a",      // '=' not at the end
      "Z===",      // three '='
      "====",      // only padding
      "=Zg=",      // padding first
      "Zm9v====",  // a whole group of padding
      "Zm-v",      // base64url alphabet
      "Zm_v",      // base64url alphabet
      "Zm9v\n",    // whitespace
      "Zm 9",      // whitespace
      "Zm9v\r\n",  // line break
      "Zh==",      // unused bits set (canonical: Zg==)
      "Zm9=",      // unused bits set (canonical: Zm8=)
      "Zm8\xc3",   // non-ASCII
  };
  for (const char* text : invalid) EXPECT_EQ(base64_decoded_size(text), std::nullopt) << text;
}

// --- Sec-WebSocket-Accept (§4.2.2 step 5.4) -------------------------------------------------

TEST(AcceptKey, Rfc6455Section1_3Example) {
  EXPECT_EQ(accept_of("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(AcceptKey, SecondKnownVector) {
  EXPECT_EQ(accept_of("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(AcceptKey, ReusedContextGivesFreshDigests) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(accept_of("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(accept_of("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  }
}

TEST(AcceptKey, EachThreadGetsTheRightAnswer) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&wrong, t] {
      for (int i = 0; i < 500; ++i) {
        const bool first = (i + t) % 2 == 0;
        const std::string got =
            accept_of(first ? "dGhlIHNhbXBsZSBub25jZQ==" : "x3JJHMbDL1EzLkh9GBhXDw==");
        wrong[t] +=
            got != (first ? "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" : "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

// --- check_upgrade (§4.2.1) -----------------------------------------------------------------

// A valid client handshake (§1.3, §4.1), as a plain HttpRequest that tests then break.
HttpRequest valid_request() {
  HttpRequest r;
  r.method = "GET";
  r.target = r.path = "/chat";
  r.version_minor = 1;
  r.headers = {
      {"Host", "server.example.com"},   {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},        {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
      {"Origin", "http://example.com"}, {"Sec-WebSocket-Protocol", "chat, superchat"},
      {"Sec-WebSocket-Version", "13"},
  };
  return r;
}

void set_header(HttpRequest& r, std::string_view name, std::string_view value) {
  for (HttpHeader& h : r.headers) {
    if (iequals(h.name, name)) h.value = value;
  }
}

void remove_header(HttpRequest& r, std::string_view name) {
  std::erase_if(r.headers, [name](const HttpHeader& h) { return iequals(h.name, name); });
}

void expect_refused(const HttpRequest& r, int status, std::string_view reason) {
  const UpgradeCheck check = check_upgrade(r);
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.status, status);
  EXPECT_EQ(check.reason, reason);
}

TEST(CheckUpgrade, AcceptsTheRfcExample) {
  const HttpRequest r = valid_request();
  const UpgradeCheck check = check_upgrade(r);
  ASSERT_TRUE(check.ok()) << check.reason;
  EXPECT_EQ(check.status, 101);
  EXPECT_EQ(check.reason, "");
  EXPECT_EQ(check.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(check.protocols, "chat, superchat");
  EXPECT_EQ(check.extensions, "");
  EXPECT_EQ(check.origin, "http://example.com");
}

TEST(CheckUpgrade, AcceptsAParsedBrowserRequest) {
  const std::string input =
      "GET /chat HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "connection: keep-alive, Upgrade\r\n"
      "upgrade: WebSocket\r\n"
      "sec-websocket-version:  13 \r\n"
      "sec-websocket-key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
      "\r\n";
  HttpRequestParser parser;
  ASSERT_EQ(parser.feed(input).status, HttpRequestParser::Status::Complete);
  const UpgradeCheck check = check_upgrade(parser.request());
  ASSERT_TRUE(check.ok()) << check.reason;
  EXPECT_EQ(check.key, "x3JJHMbDL1EzLkh9GBhXDw==");
  EXPECT_EQ(check.extensions, "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(check.protocols, "");
  EXPECT_EQ(check.origin, "");
}

TEST(CheckUpgrade, RequiresGet) {
  for (std::string_view method : {"POST", "get", "HEAD", "CONNECT"}) {
    HttpRequest r = valid_request();
    r.method = method;
    expect_refused(r, 400, "websocket handshake requires GET");
  }
}

TEST(CheckUpgrade, RequiresHttp11OrLater) {
  HttpRequest r = valid_request();
  r.version_minor = 0;
  expect_refused(r, 400, "websocket handshake requires HTTP/1.1");
  r.version_minor = 2;
  EXPECT_TRUE(check_upgrade(r).ok());
}

TEST(CheckUpgrade, RequiresExactlyOneHost) {
  HttpRequest r = valid_request();
  remove_header(r, "host");
  expect_refused(r, 400, "exactly one Host header required");
  r = valid_request();
  r.headers.push_back({"HOST", "server.example.com"});
  expect_refused(r, 400, "exactly one Host header required");
}

TEST(CheckUpgrade, RequiresUpgradeWebsocket) {
  HttpRequest r = valid_request();
  remove_header(r, "upgrade");
  expect_refused(r, 400, "Upgrade header must name websocket");
  r = valid_request();
  set_header(r, "upgrade", "h2c");
  expect_refused(r, 400, "Upgrade header must name websocket");
  set_header(r, "upgrade", "websockets");
  expect_refused(r, 400, "Upgrade header must name websocket");
  set_header(r, "upgrade", "h2c, WebSocket");
  EXPECT_TRUE(check_upgrade(r).ok());
}

TEST(CheckUpgrade, RequiresConnectionUpgrade) {
  HttpRequest r = valid_request();
  remove_header(r, "connection");
  expect_refused(r, 400, "Connection header must name upgrade");
  r = valid_request();
  set_header(r, "connection", "keep-alive");
  expect_refused(r, 400, "Connection header must name upgrade");
  set_header(r, "connection", "keep-alive, UPGRADE");
  EXPECT_TRUE(check_upgrade(r).ok());
}

TEST(CheckUpgrade, ConnectionTokenMayBeInALaterHeader) {  // Firefox-style split headers
  HttpRequest r = valid_request();
  set_header(r, "connection", "keep-alive");
  r.headers.push_back({"Connection", "Upgrade"});
  EXPECT_TRUE(check_upgrade(r).ok());
}

TEST(CheckUpgrade, VersionOtherThan13Is426) {
  for (std::string_view version : {"8", "12", "14", "13, 8", "013", ""}) {
    HttpRequest r = valid_request();
    set_header(r, "sec-websocket-version", version);
    expect_refused(r, 426, "Sec-WebSocket-Version must be 13");
  }
}

TEST(CheckUpgrade, MissingOrRepeatedVersionIs426) {
  HttpRequest r = valid_request();
  remove_header(r, "sec-websocket-version");
  expect_refused(r, 426, "Sec-WebSocket-Version must be 13");
  r = valid_request();
  r.headers.push_back({"Sec-WebSocket-Version", "13"});
  expect_refused(r, 426, "Sec-WebSocket-Version must be 13");
}

TEST(CheckUpgrade, OldDraftClientWithoutKeyGets426) {
  HttpRequest r = valid_request();
  remove_header(r, "sec-websocket-key");
  remove_header(r, "sec-websocket-version");
  expect_refused(r, 426, "Sec-WebSocket-Version must be 13");
}

TEST(CheckUpgrade, RequiresExactlyOneKey) {
  HttpRequest r = valid_request();
  remove_header(r, "sec-websocket-key");
  expect_refused(r, 400, "exactly one Sec-WebSocket-Key header required");
  r = valid_request();
  r.headers.push_back({"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="});
  expect_refused(r, 400, "exactly one Sec-WebSocket-Key header required");
}

TEST(CheckUpgrade, KeyMustBeBase64Of16Bytes) {
  const char* const bad_keys[] = {
      "",
      "dGhlIHNhbXBsZSBub25jZQ",        // padding stripped
      "dGhlIHNhbXBsZSBub25jZQ=",       // one '=' short
      "dGhlIHNhbXBsZSBub25jZQ===",     // one '=' too many
      "dGhlIHNhbXBsZSBub25jZR==",      // non-canonical (unused bits set)
      "dGhlIHNhbXBsZSBub25jZQ-=",      // invalid character
      "dGhl IHNhbXBsZSBub25jZQ=",      // inner space
      "AAECAwQFBgcICQoLDA0O",          // 15 bytes
      "AAECAwQFBgcICQoLDA0ODxA=",      // 17 bytes, also 24 characters
      "AAECAwQFBgcICQoLDA0ODxAR",      // 18 bytes, also 24 characters
      "AAECAwQFBgcICQoLDA0ODxAREg==",  // 19 bytes
      "the sample nonce",              // the raw 16 bytes, not encoded
  };
  for (const char* key : bad_keys) {
    HttpRequest r = valid_request();
    set_header(r, "sec-websocket-key", key);
    expect_refused(r, 400, "Sec-WebSocket-Key is not base64 of 16 bytes");
  }
}

TEST(CheckUpgrade, AnySixteenByteKeyIsAccepted) {
  for (const char* key :
       {"AAAAAAAAAAAAAAAAAAAAAA==", "/////////////////////w==", "AAECAwQFBgcICQoLDA0ODw=="}) {
    HttpRequest r = valid_request();
    set_header(r, "sec-websocket-key", key);
    EXPECT_TRUE(check_upgrade(r).ok()) << key;
  }
}

TEST(CheckUpgrade, ChecksInOrderGetFirst) {
  HttpRequest r;  // nothing right at all
  r.method = "POST";
  r.version_minor = 0;
  expect_refused(r, 400, "websocket handshake requires GET");
}

TEST(CheckUpgrade, ReturnsTheFirstOfRepeatedExtensionAndProtocolHeaders) {
  HttpRequest r = valid_request();
  r.headers.push_back({"Sec-WebSocket-Protocol", "other"});
  r.headers.push_back({"Sec-WebSocket-Extensions", "permessage-deflate"});
  r.headers.push_back({"sec-websocket-extensions", "x-webkit-deflate-frame"});
  const UpgradeCheck check = check_upgrade(r);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.protocols, "chat, superchat");
  EXPECT_EQ(check.extensions, "permessage-deflate");
}

TEST(WantsWebsocket, LooksOnlyAtTheUpgradeHeader) {
  HttpRequest r;
  EXPECT_FALSE(wants_websocket(r));
  r.headers = {{"Connection", "upgrade"}, {"X", "websocket"}};
  EXPECT_FALSE(wants_websocket(r));
  r.headers = {{"Upgrade", "h2c"}};
  EXPECT_FALSE(wants_websocket(r));
  r.headers = {{"upgrade", "WebSocket"}};
  EXPECT_TRUE(wants_websocket(r));
  r.headers = {{"Upgrade", "h2c, websocket"}};
  EXPECT_TRUE(wants_websocket(r));
  r.headers = {{"Upgrade", "h2c"}, {"UPGRADE", "websocket"}};
  EXPECT_TRUE(wants_websocket(r));
}

// --- Responses (§4.2.2) ---------------------------------------------------------------------

TEST(SwitchingProtocols, Rfc6455Example) {
  std::string out;
  append_switching_protocols(out, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
}

TEST(SwitchingProtocols, WithSubprotocolAndExtensionsAppendedToExistingOutput) {
  std::string out = "earlier bytes";
  append_switching_protocols(out, "dGhlIHNhbXBsZSBub25jZQ==", "chat",
                             "permessage-deflate; server_no_context_takeover");
  EXPECT_EQ(out,
            "earlier bytes"
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
            "\r\n");
}

TEST(SwitchingProtocols, ExtensionsWithoutSubprotocol) {
  std::string out;
  append_switching_protocols(out, "x3JJHMbDL1EzLkh9GBhXDw==", {}, "permessage-deflate");
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate\r\n"
            "\r\n");
}

TEST(ErrorResponse, UpgradeRequiredCarriesTheVersion) {
  std::string out;
  append_error_response(out, 426, "Sec-WebSocket-Version must be 13\n",
                        "Sec-WebSocket-Version: 13\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 426 Upgrade Required\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 33\r\n"
            "Connection: close\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
            "Sec-WebSocket-Version must be 13\n");
}

TEST(ErrorResponse, BadRequestAppendsAndCountsTheBody) {
  std::string out = "x";
  append_error_response(out, 400, "");
  EXPECT_EQ(out,
            "xHTTP/1.1 400 Bad Request\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 0\r\n"
            "Connection: close\r\n"
            "\r\n");
  out.clear();
  append_error_response(out, 431, std::string(1234, 'a'));
  EXPECT_NE(out.find("HTTP/1.1 431 Request Header Fields Too Large\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 1234\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n" + std::string(1234, 'a')));
}

TEST(ReasonPhrase, KnownAndUnknownCodes) {
  EXPECT_EQ(reason_phrase(101), "Switching Protocols");
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(403), "Forbidden");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(426), "Upgrade Required");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "Error");
  EXPECT_EQ(reason_phrase(0), "Error");
}

}  // namespace
}  // namespace wisp::protocol
