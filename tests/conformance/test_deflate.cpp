// permessage-deflate (RFC 7692) on the real server over loopback: negotiation answers, echo of
// compressed messages under every parameter combination, the 1009 cap, RSV1 misuse, corrupt data.
// The client side compresses and inflates with wisp's own protocol streams.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <tuple>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/deflate_stream.hpp"
#include "raw_client.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kCont = 0x0, kText = 0x1, kBinary = 0x2, kPing = 0x9;

class DeflateServer {
 public:
  explicit DeflateServer(Compression mode, std::size_t max_message_size = 16 << 20) {
    app_.ws("/echo",
            {.settings = {.max_message_size = max_message_size,
                          .compression = mode,
                          .decompression = mode,
                          .compression_threshold = 0},
             .message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }});
    app_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { app_.run(); });
  }
  ~DeflateServer() {
    app_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return app_.port(); }

 private:
  App app_;
  std::thread thread_;
};

// A client that offers `offer`, checks the answer is valid for it, and keeps streams for both
// directions as the agreement says.
class DeflateClient {
 public:
  DeflateClient(std::uint16_t port, const protocol::ClientDeflatePolicy& offer) : raw_(port) {
    const std::string header =
        "Sec-WebSocket-Extensions: " + protocol::deflate_offer(offer) + "\r\n";
    raw_.send(RawClient::upgrade_request("/echo", header));
    const HttpResponse response = raw_.read_http_response();
    EXPECT_EQ(response.status, 101) << response.head;
    answer_ = response.header("Sec-WebSocket-Extensions").value_or("");
    const auto accepted = protocol::accept_deflate_response(answer_, offer);
    EXPECT_TRUE(accepted.valid) << answer_;
    EXPECT_TRUE(accepted.agreement) << "the server declined: " << answer_;
    agreed_ = accepted.agreement.value_or(protocol::DeflateParams{});
    deflater_.emplace(agreed_.client_max_window_bits, 8);
    inflater_.emplace(agreed_.server_max_window_bits);
  }

  // Sends `message` compressed, split into `fragments` frames (RSV1 on the first only).
  void send(std::uint8_t opcode, std::string_view message, std::size_t fragments = 1) {
    std::string compressed;
    deflater_->deflate(message, compressed, agreed_.client_no_context_takeover);
    const std::size_t piece = compressed.size() / fragments + 1;
    for (std::size_t at = 0, i = 0; i < fragments; ++i, at += piece) {
      raw_.send_frame({.fin = i + 1 == fragments,
                       .rsv1 = i == 0,
                       .opcode = i == 0 ? opcode : kCont,
                       .payload = compressed.substr(std::min(at, compressed.size()), piece)});
    }
  }

  // Reads the server's next message, inflating it if RSV1 says it is compressed.
  std::string receive(std::uint8_t expected_opcode, bool* was_compressed = nullptr) {
    const auto frame = raw_.read_frame();
    if (!frame) return "<no frame>";
    EXPECT_EQ(frame->opcode, expected_opcode);
    EXPECT_TRUE(frame->fin);
    if (was_compressed) *was_compressed = frame->rsv1;
    if (!frame->rsv1) return frame->payload;
    std::string out;
    const auto result =
        inflater_->inflate(frame->payload, out, 64 << 20, agreed_.server_no_context_takeover);
    EXPECT_EQ(result, protocol::Inflater::Result::Ok);
    return out;
  }

  RawClient& raw() { return raw_; }
  const std::string& answer() const { return answer_; }

 private:
  RawClient raw_;
  std::string answer_;
  protocol::DeflateParams agreed_;
  std::optional<protocol::Deflater> deflater_;
  std::optional<protocol::Inflater> inflater_;
};

std::string text_of(std::size_t size, unsigned seed) {
  static const std::string words[] = {"wisp ",  "{\"type\":", "\"chat\", ",
                                      "κόσμε ", "data ",      "1234 "};
  std::mt19937 random(seed);
  std::string out;
  while (out.size() < size) out += words[random() % 6];
  out.resize(size);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  while (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  return out;
}

std::string binary_of(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i % 7 == 0 ? random() : i % 13);
  return out;
}

// (server mode, window bits offered for both sides, client asks no context takeover for both)
using Params = std::tuple<Compression, int, bool>;

class Rfc7692_Echo : public testing::TestWithParam<Params> {};

TEST_P(Rfc7692_Echo, MessagesFrom16BytesTo128KiBWholeAndFragmented) {
  const auto [mode, bits, alone] = GetParam();
  DeflateServer server(mode);
  DeflateClient client(server.port(), {.server_no_context_takeover = alone,
                                       .client_no_context_takeover = alone,
                                       .server_max_window_bits = bits,
                                       .client_max_window_bits = bits});
  unsigned seed = 1;
  for (std::size_t size : {16u, 1000u, 65536u, 131072u}) {
    for (std::size_t fragments : {1u, 3u}) {
      const std::string text = text_of(size, seed++);
      const std::string bytes = binary_of(size, seed++);
      client.send(kText, text, fragments);
      bool compressed = false;
      EXPECT_EQ(client.receive(kText, &compressed), text) << size << " x" << fragments;
      EXPECT_TRUE(compressed) << "the server sent its echo uncompressed";
      client.send(kBinary, bytes, fragments);
      EXPECT_EQ(client.receive(kBinary), bytes) << size << " x" << fragments;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Parameters, Rfc7692_Echo,
                         testing::Combine(testing::Values(Compression::Shared,
                                                          Compression::Dedicated),
                                          testing::Values(9, 12, 15), testing::Bool()));

TEST(Rfc7692_Negotiation, SharedServerAnswersNoContextTakeoverForBothSides) {
  DeflateServer server(Compression::Shared);
  DeflateClient client(server.port(), {});
  EXPECT_EQ(client.answer(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(Rfc7692_Negotiation, DedicatedServerKeepsContext) {
  DeflateServer server(Compression::Dedicated);
  DeflateClient client(server.port(), {});
  EXPECT_EQ(client.answer(), "permessage-deflate");
}

TEST(Rfc7692_Negotiation, InvalidOfferIsDeclinedAndTheConnectionGoesOnUncompressed) {
  DeflateServer server(Compression::Shared);
  RawClient client(server.port());
  client.send(RawClient::upgrade_request(
      "/echo", "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n"));
  const HttpResponse response = client.read_http_response();
  EXPECT_EQ(response.status, 101);
  EXPECT_FALSE(response.header("Sec-WebSocket-Extensions"));
  client.send_frame(kText, "plain");
  const auto echo = client.read_frame();
  ASSERT_TRUE(echo);
  EXPECT_FALSE(echo->rsv1);
  EXPECT_EQ(echo->payload, "plain");
}

// A zip bomb: 16 MiB of zeros in a few KiB must close with 1009 at a 1 MiB limit.
TEST(Rfc7692_Limits, MessageInflatingPastTheLimitGets1009) {
  DeflateServer server(Compression::Shared, 1 << 20);
  DeflateClient client(server.port(), {});
  client.send(kBinary, std::string(16 << 20, '\0'));
  const auto close = client.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1009);
}

TEST(Rfc7692_Rsv1, OnAContinuationFrameFails1002) {
  DeflateServer server(Compression::Shared);
  DeflateClient client(server.port(), {});
  client.raw().send_frame({.fin = false, .opcode = kText, .payload = "a"});
  client.raw().send_frame({.fin = true, .rsv1 = true, .opcode = kCont, .payload = "b"});
  const auto close = client.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
}

TEST(Rfc7692_Rsv1, OnAControlFrameFails1002) {
  DeflateServer server(Compression::Shared);
  DeflateClient client(server.port(), {});
  client.raw().send_frame({.rsv1 = true, .opcode = kPing, .payload = "p"});
  const auto close = client.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
}

TEST(Rfc7692_Corrupt, UndecodableDataFails1002) {
  DeflateServer server(Compression::Shared);
  DeflateClient client(server.port(), {});
  client.raw().send_frame({.rsv1 = true, .opcode = kBinary, .payload = "\xff\xff\xff\xff garbage"});
  const auto close = client.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
}

TEST(Rfc7692_Corrupt, InflatedTextMustBeUtf8) {
  DeflateServer server(Compression::Dedicated);
  DeflateClient client(server.port(), {});
  client.send(kText, "valid so far \xed\xa0\x80 a surrogate");
  const auto close = client.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1007);
}

}  // namespace
}  // namespace wisp::test
