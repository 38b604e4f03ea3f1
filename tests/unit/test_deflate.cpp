// permessage-deflate (RFC 7692): negotiation for both roles, and the inflate/deflate streams
// against the RFC's examples, round trips under every window size and context mode, the size
// cap and corrupt data.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/deflate_stream.hpp"

namespace wisp::protocol {
namespace {

// Concatenation by appending (GCC 12 warns falsely on chains of operator+ at -O3).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view part : parts) out.append(part);
  return out;
}

// ---- server side: what is accepted ---------------------------------------------------------

std::optional<DeflateParams> negotiate(std::string_view header, ServerDeflatePolicy policy = {}) {
  return negotiate_deflate(header, policy);
}

// The answer to `header`, or "declined".
std::string answer(std::string_view header, ServerDeflatePolicy policy = {}) {
  const auto agreed = negotiate(header, policy);
  return agreed ? deflate_response(*agreed) : "declined";
}

TEST(DeflateNegotiation, PlainOfferIsAcceptedWithDefaults) {
  const auto agreed = negotiate("permessage-deflate");
  ASSERT_TRUE(agreed);
  EXPECT_EQ(*agreed, DeflateParams{});
  EXPECT_EQ(deflate_response(*agreed), "permessage-deflate");
}

TEST(DeflateNegotiation, NoOfferOrOtherExtensionsOnlyDecline) {
  EXPECT_FALSE(negotiate(""));
  EXPECT_FALSE(negotiate("   "));
  EXPECT_FALSE(negotiate("x-webkit-deflate-frame"));
  EXPECT_FALSE(negotiate("permessage-deflate-x, deflate-frame; permessage-deflate"));
}

TEST(DeflateNegotiation, EveryParameterIsUnderstood) {
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; client_no_context_takeover"),
            "permessage-deflate; client_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=10"),
            "permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits"), "permessage-deflate");
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=11"),
            "permessage-deflate; client_max_window_bits=11");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=15"),
            "permessage-deflate; server_max_window_bits=15");  // offered: must be answered
  EXPECT_EQ(answer("permessage-deflate;server_no_context_takeover;client_no_context_takeover;"
                   "server_max_window_bits=9;client_max_window_bits=8"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=9; client_max_window_bits=8");
}

TEST(DeflateNegotiation, AgreementHoldsTheValuesInForce) {
  const auto agreed = negotiate(
      "permessage-deflate; client_no_context_takeover; server_max_window_bits=12; "
      "client_max_window_bits=10");
  ASSERT_TRUE(agreed);
  EXPECT_FALSE(agreed->server_no_context_takeover);
  EXPECT_TRUE(agreed->client_no_context_takeover);
  EXPECT_EQ(agreed->server_max_window_bits, 12);
  EXPECT_EQ(agreed->client_max_window_bits, 10);
}

TEST(DeflateNegotiation, EveryWindowSizeIsAccepted) {
  for (int bits = 8; bits <= 15; ++bits) {
    const std::string n = std::to_string(bits);
    const auto agreed = negotiate(
        cat({"permessage-deflate; server_max_window_bits=", n, "; client_max_window_bits=", n}));
    ASSERT_TRUE(agreed) << bits;
    EXPECT_EQ(agreed->server_max_window_bits, bits);
    EXPECT_EQ(agreed->client_max_window_bits, bits);
  }
}

TEST(DeflateNegotiation, InvalidWindowValuesDecline) {
  for (const std::string value :
       {"0",   "1",   "7",   "16",   "99",  "abc", "08",       "010",    "",    "-9", "+9",
        "9.0", "1 0", "0x9", "\"\"", "\"9", "9\"", "\"0\\8\"", "\"16\"", "'9'", "9a", "1\\0"}) {
    for (const std::string name : {"server_max_window_bits", "client_max_window_bits"}) {
      EXPECT_FALSE(negotiate(cat({"permessage-deflate; ", name, "=", value})))
          << name << "=" << value;
    }
  }
}

TEST(DeflateNegotiation, QuotedValuesAreUnquoted) {
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=\"10\""),
            "permessage-deflate; client_max_window_bits=10");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=\"9\""),
            "permessage-deflate; server_max_window_bits=9");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=\"1\\2\""),  // quoted-pair
            "permessage-deflate; server_max_window_bits=12");
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits = \"12\" "),
            "permessage-deflate; client_max_window_bits=12");
}

TEST(DeflateNegotiation, MissingValueDeclines) {
  EXPECT_FALSE(negotiate("permessage-deflate; server_max_window_bits"));
  EXPECT_FALSE(negotiate("permessage-deflate; server_max_window_bits="));
  EXPECT_FALSE(negotiate("permessage-deflate; client_max_window_bits="));
}

TEST(DeflateNegotiation, ValueOnNoValueParameterDeclines) {
  for (const std::string value : {"", "1", "true", "\"\""}) {
    EXPECT_FALSE(negotiate(cat({"permessage-deflate; server_no_context_takeover=", value})))
        << value;
    EXPECT_FALSE(negotiate(cat({"permessage-deflate; client_no_context_takeover=", value})))
        << value;
  }
}

TEST(DeflateNegotiation, DuplicateParameterDeclines) {
  for (const std::string param :
       {"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits=10",
        "client_max_window_bits", "client_max_window_bits=10"}) {
    EXPECT_FALSE(negotiate(cat({"permessage-deflate; ", param, "; ", param}))) << param;
  }
  EXPECT_FALSE(negotiate("permessage-deflate; client_max_window_bits; client_max_window_bits=10"));
}

TEST(DeflateNegotiation, UnknownOrMalformedParameterDeclines) {
  EXPECT_FALSE(negotiate("permessage-deflate; foo"));
  EXPECT_FALSE(negotiate("permessage-deflate; foo=1"));
  EXPECT_FALSE(negotiate("permessage-deflate; ; server_no_context_takeover"));
  EXPECT_FALSE(negotiate("permessage-deflate; =10"));
  EXPECT_FALSE(negotiate("permessage-deflate; server_no_context_takeover client_max_window_bits"));
}

TEST(DeflateNegotiation, NamesAreCaseInsensitiveAndSpacingIsFree) {
  EXPECT_EQ(answer("PerMessage-Deflate ;\tSERVER_NO_CONTEXT_TAKEOVER ; Client_Max_Window_Bits=9"),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9");
}

TEST(DeflateNegotiation, FirstAcceptableOfferWins) {
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=10, permessage-deflate"),
            "permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(answer("permessage-deflate; foo, permessage-deflate; client_max_window_bits=9, "
                   "permessage-deflate"),
            "permessage-deflate; client_max_window_bits=9");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=16, permessage-deflate; "
                   "server_max_window_bits=8"),
            "permessage-deflate; server_max_window_bits=8");
  EXPECT_FALSE(negotiate("permessage-deflate; x, permessage-deflate; server_max_window_bits=7"));
}

TEST(DeflateNegotiation, OtherExtensionsAroundOffersAreSkipped) {
  // As joined from several header fields, with empty list elements and quoted commas.
  EXPECT_EQ(answer("x-foo; a=\"1,2;3\", , x-bar, permessage-deflate; "
                   "client_no_context_takeover, x-baz"),
            "permessage-deflate; client_no_context_takeover");
  EXPECT_EQ(answer("x-foo;a=\"unterminated, permessage-deflate"), "declined");
}

TEST(DeflateNegotiation, SharedCompressorPolicyAnswersServerNoContextTakeover) {
  const ServerDeflatePolicy shared{.server_context_takeover = false};
  EXPECT_EQ(answer("permessage-deflate", shared), "permessage-deflate; server_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover", shared),
            "permessage-deflate; server_no_context_takeover");
}

TEST(DeflateNegotiation, SharedInflaterPolicyAnswersClientNoContextTakeover) {
  const ServerDeflatePolicy shared{.client_context_takeover = false};
  EXPECT_EQ(answer("permessage-deflate", shared), "permessage-deflate; client_no_context_takeover");
  const ServerDeflatePolicy both{.server_context_takeover = false,
                                 .client_context_takeover = false};
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits", both),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, PolicyWindowLimitsTheAnswer) {
  const ServerDeflatePolicy small{.server_max_window_bits = 10, .client_max_window_bits = 12};
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits", small),
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12");
  EXPECT_EQ(
      answer("permessage-deflate; server_max_window_bits=9; client_max_window_bits=11", small),
      "permessage-deflate; server_max_window_bits=9; client_max_window_bits=11");
  EXPECT_EQ(
      answer("permessage-deflate; server_max_window_bits=14; client_max_window_bits=13", small),
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12");
}

TEST(DeflateNegotiation, PolicyClientWindowDeclinesClientsThatCannotBeLimited) {
  const ServerDeflatePolicy small{.client_max_window_bits = 12};
  EXPECT_EQ(answer("permessage-deflate", small), "declined");
  EXPECT_EQ(answer("permessage-deflate, permessage-deflate; client_max_window_bits", small),
            "permessage-deflate; client_max_window_bits=12");
}

TEST(DeflateNegotiation, PolicyWindowsAreClampedTo8Through15) {
  const ServerDeflatePolicy odd{.server_max_window_bits = 3, .client_max_window_bits = 40};
  EXPECT_EQ(answer("permessage-deflate", odd), "permessage-deflate; server_max_window_bits=8");
}

// ---- client side ----------------------------------------------------------------------------

TEST(DeflateClient, OfferStringFollowsThePolicy) {
  EXPECT_EQ(deflate_offer({}), "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(deflate_offer({.server_no_context_takeover = true,
                           .client_no_context_takeover = true,
                           .server_max_window_bits = 10,
                           .client_max_window_bits = 12}),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=12");
}

TEST(DeflateClient, OfferIsAcceptedByTheServerSide) {
  const ClientDeflatePolicy policy{.server_max_window_bits = 11, .client_max_window_bits = 9};
  const auto agreed = negotiate(deflate_offer(policy));
  ASSERT_TRUE(agreed);
  const DeflateResponse response = accept_deflate_response(deflate_response(*agreed), policy);
  ASSERT_TRUE(response.valid);
  EXPECT_EQ(response.agreement, agreed);
}

TEST(DeflateClient, DeclineIsValidWithoutAgreement) {
  for (const std::string_view header : {"", "x-other", "x-other; a=1, y"}) {
    const DeflateResponse response = accept_deflate_response(header, {});
    EXPECT_TRUE(response.valid) << header;
    EXPECT_FALSE(response.agreement) << header;
  }
}

TEST(DeflateClient, ValidResponsesGiveTheValuesInForce) {
  const ClientDeflatePolicy policy{.client_no_context_takeover = true,
                                   .client_max_window_bits = 13};
  const DeflateResponse response = accept_deflate_response(
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=9", policy);
  ASSERT_TRUE(response.valid);
  ASSERT_TRUE(response.agreement);
  EXPECT_TRUE(response.agreement->server_no_context_takeover);
  EXPECT_TRUE(response.agreement->client_no_context_takeover);  // the client's own choice
  EXPECT_EQ(response.agreement->server_max_window_bits, 9);     // may be set unasked
  EXPECT_EQ(response.agreement->client_max_window_bits, 13);    // the client's own limit
  EXPECT_EQ(accept_deflate_response("permessage-deflate; client_max_window_bits=10", policy)
                .agreement->client_max_window_bits,
            10);
}

TEST(DeflateClient, InvalidResponsesFailTheConnection) {
  const ClientDeflatePolicy policy{.server_no_context_takeover = true,
                                   .server_max_window_bits = 10,
                                   .client_max_window_bits = 12};
  const std::string ok =
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=10";
  ASSERT_TRUE(accept_deflate_response(ok, policy).valid);
  for (const std::string& bad : std::vector<std::string>{
           "permessage-deflate; server_max_window_bits=10",   // dropped server_no_context
           "permessage-deflate; server_no_context_takeover",  // dropped server_max_window_bits
           ok + "; foo",                                      // unknown parameter
           ok + "; client_max_window_bits",                   // needs a value in a response
           ok + "; client_max_window_bits=13",                // above the offered 12
           ok + "; client_max_window_bits=7",                 // invalid value
           ok + "; server_no_context_takeover",               // duplicate
           "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",  // above
           cat({ok, ", ", ok}),  // answered twice
       }) {
    EXPECT_FALSE(accept_deflate_response(bad, policy).valid) << bad;
  }
  EXPECT_TRUE(accept_deflate_response(cat({ok, "; client_max_window_bits=12"}), policy).valid);
  EXPECT_TRUE(accept_deflate_response(cat({ok, "; client_max_window_bits=8"}), policy).valid);
}

// ---- streams: RFC 7692 §7.2.3 examples ------------------------------------------------------

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string inflate_ok(Inflater& inflater, std::string_view compressed, bool reset = false) {
  std::string out;
  EXPECT_EQ(inflater.inflate(compressed, out, 1 << 20, reset), Inflater::Result::Ok);
  return out;
}

TEST(DeflateStream, HelloMatchesRfcExample) {
  Deflater deflater(15, 8);
  std::string out;
  deflater.deflate("Hello", out, false);
  EXPECT_EQ(out, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));  // §7.2.3.1
  deflater.deflate("Hello", out, false);
  EXPECT_EQ(out, bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));  // §7.2.3.2: refers to the first
}

TEST(DeflateStream, NoContextTakeoverRepeatsTheFirstForm) {
  Deflater deflater(15, 8);
  std::string out;
  for (int i = 0; i < 3; ++i) {
    deflater.deflate("Hello", out, true);
    EXPECT_EQ(out, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  }
}

TEST(DeflateStream, InflatesEveryRfcExample) {
  Inflater inflater(15);
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello");  // §7.2.3.2
  EXPECT_EQ(inflate_ok(inflater,
                       bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00})),
            "Hello");  // §7.2.3.3: a stored block
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})),
            "Hello");  // §7.2.3.4: BFINAL=1, then an empty stored block
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9,
                                        0xc9, 0x07, 0x00})),
            "Hello");  // §7.2.3.5: two blocks
}

TEST(DeflateStream, FinalBlockKeepsTheWindowForLaterMessages) {
  Inflater inflater(15);
  // Raw DEFLATE of "Hello" with BFINAL=1 and nothing after it: the tail is left over.
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf2, 0x00, 0x11, 0x00, 0x00})), "Hello");
}

TEST(DeflateStream, EmptyMessageIsOneZeroByte) {
  Deflater deflater(15, 8);
  Inflater inflater(15);
  std::string out;
  for (int i = 0; i < 3; ++i) {  // also right after a flush, when zlib would write nothing
    deflater.deflate("", out, false);
    EXPECT_EQ(out, std::string(1, '\0'));
    EXPECT_EQ(inflate_ok(inflater, out), "");
    deflater.deflate("x", out, false);
    EXPECT_EQ(inflate_ok(inflater, out), "x");
  }
}

// ---- streams: round trips -------------------------------------------------------------------

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// JSON-like text from a small vocabulary: compresses several times.
std::string compressible(std::size_t size, unsigned seed) {
  static const char* const words[] = {"{\"type\":", "\"chat\",", "\"user\":", "\"alice\"",
                                      "\"text\":",  "\"hello\"", "}",         "42,"};
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < size) out += words[rng() % 8];
  out.resize(size);
  return out;
}

const std::vector<std::size_t> kSizes = {0,     1,       16,      125,      126,
                                         1000,  1 << 10, 4 << 10, 16 << 10, 64 << 10,
                                         65535, 65536,   100000,  128 << 10};

struct Mode {
  int bits;
  bool takeover;
};

void PrintTo(const Mode& mode, std::ostream* os) {
  *os << mode.bits << (mode.takeover ? " bits, context takeover" : " bits, no context takeover");
}

class RoundTrip : public testing::TestWithParam<Mode> {};

TEST_P(RoundTrip, EverySizeRandomAndCompressible) {
  const auto [bits, takeover] = GetParam();
  Deflater deflater(bits, 8);
  Inflater inflater(bits);
  std::string compressed, inflated;
  unsigned seed = 1;
  for (const std::size_t size : kSizes) {
    for (const std::string& message : {random_bytes(size, seed), compressible(size, seed)}) {
      ++seed;
      deflater.deflate(message, compressed, !takeover);
      ASSERT_EQ(inflater.inflate(compressed, inflated, 1 << 20, !takeover), Inflater::Result::Ok)
          << size;
      ASSERT_EQ(inflated, message) << size;
    }
  }
}

TEST_P(RoundTrip, ContextTakeoverShrinksARepeatedMessage) {
  const auto [bits, takeover] = GetParam();
  // Fits in what zlib uses of the smallest window (512 - 262 bytes of lookahead), so a repeat
  // can refer to all of it.
  const std::string message = cat({compressible(120, 9), random_bytes(40, 9)});
  Deflater deflater(bits, 8);
  Inflater inflater(bits);
  std::string first, second;
  deflater.deflate(message, first, !takeover);
  deflater.deflate(message, second, !takeover);
  EXPECT_EQ(inflate_ok(inflater, first, !takeover), message);
  EXPECT_EQ(inflate_ok(inflater, second, !takeover), message);
  if (takeover && bits > 8) {  // 8 is Huffman-only: no references at all
    EXPECT_LT(second.size() * 5, first.size()) << first.size() << " then " << second.size();
  } else {
    EXPECT_EQ(second, first);
  }
}

std::vector<Mode> all_modes() {
  std::vector<Mode> modes;
  for (int bits = 8; bits <= 15; ++bits) {
    for (bool takeover : {true, false}) modes.push_back({bits, takeover});
  }
  return modes;
}

INSTANTIATE_TEST_SUITE_P(Windows, RoundTrip, testing::ValuesIn(all_modes()), [](const auto& info) {
  return "Bits" + std::to_string(info.param.bits) +
         (info.param.takeover ? "Takeover" : "NoContext");
});

TEST(DeflateStream, SmallerWindowInflatesLargerWindowsData) {
  // A peer may use any window up to the agreed size.
  const std::string message = compressible(50000, 3);
  Deflater deflater(9, 1);
  Inflater inflater(15);
  std::string compressed;
  deflater.deflate(message, compressed, false);
  EXPECT_EQ(inflate_ok(inflater, compressed), message);
}

TEST(DeflateStream, WindowEightIsReadAsNine) {
  // zlib-based peers told to use 8 bits deflate with 9 (see Inflater).
  Deflater deflater(9, 8);
  Inflater inflater(8);
  const std::string message = compressible(2000, 4);
  std::string compressed;
  deflater.deflate(message, compressed, false);
  EXPECT_EQ(inflate_ok(inflater, compressed), message);
}

TEST(DeflateStream, HuffmanOnlyWindowEightStillCompresses) {
  Deflater deflater(8, 8);
  const std::string message = compressible(4000, 5);
  std::string compressed;
  deflater.deflate(message, compressed, false);
  EXPECT_LT(compressed.size(), message.size() * 3 / 4);
}

TEST(DeflateStream, LevelZeroAndMemLevelsWork) {
  const std::string message = compressible(30000, 6);
  for (int mem_level = 1; mem_level <= 9; ++mem_level) {
    for (int level : {0, 1, 9, Deflater::default_level}) {
      Deflater deflater(15, mem_level, level);
      Inflater inflater(15);
      std::string compressed;
      deflater.deflate(message, compressed, false);
      EXPECT_EQ(inflate_ok(inflater, compressed), message) << mem_level << " " << level;
    }
  }
}

TEST(DeflateStream, InvalidParametersThrow) {
  EXPECT_THROW(Inflater(7), std::invalid_argument);
  EXPECT_THROW(Inflater(16), std::invalid_argument);
  EXPECT_THROW(Deflater(7, 8), std::invalid_argument);
  EXPECT_THROW(Deflater(16, 8), std::invalid_argument);
  EXPECT_THROW(Deflater(15, 0), std::invalid_argument);
  EXPECT_THROW(Deflater(15, 10), std::invalid_argument);
  EXPECT_THROW(Deflater(15, 8, 10), std::invalid_argument);
}

TEST(DeflateStream, MovedObjectsKeepWorking) {
  Deflater deflater(15, 8);
  Inflater inflater(15);
  std::string compressed;
  deflater.deflate("Hello", compressed, false);
  EXPECT_EQ(inflate_ok(inflater, compressed), "Hello");
  Deflater moved_deflater = std::move(deflater);
  Inflater moved_inflater = std::move(inflater);
  moved_deflater.deflate("Hello", compressed, false);
  EXPECT_EQ(compressed, bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));  // the context came along
  EXPECT_EQ(inflate_ok(moved_inflater, compressed), "Hello");
}

// ---- streams: the cap and corrupt data ------------------------------------------------------

TEST(DeflateStream, ZipBombStopsAtTheCap) {
  Deflater deflater(15, 8);
  std::string bomb;
  deflater.deflate(std::string(10 << 20, '\0'), bomb, true);
  EXPECT_LT(bomb.size(), 20u << 10);
  Inflater inflater(15);
  std::string out;
  const std::size_t cap = 1 << 20;
  EXPECT_EQ(inflater.inflate(bomb, out, cap, false), Inflater::Result::TooBig);
  EXPECT_LE(out.size(), cap + 1);
  EXPECT_LE(out.capacity(), 2 * (cap + 1));  // std::string may double its last allocation
  // The stream was reset: the inflater reads the next (well-formed) message.
  deflater.deflate("after", bomb, true);
  EXPECT_EQ(inflate_ok(inflater, bomb), "after");
}

TEST(DeflateStream, MessageOfExactlyTheCapIsAccepted) {
  Deflater deflater(15, 8);
  Inflater inflater(15);
  std::string compressed, out;
  const std::string message = compressible(100000, 8);
  deflater.deflate(message, compressed, true);
  EXPECT_EQ(inflater.inflate(compressed, out, message.size(), true), Inflater::Result::Ok);
  EXPECT_EQ(out, message);
  EXPECT_EQ(inflater.inflate(compressed, out, message.size() - 1, true), Inflater::Result::TooBig);
  EXPECT_EQ(inflater.inflate(compressed, out, 0, true), Inflater::Result::TooBig);
}

TEST(DeflateStream, CorruptDataIsReported) {
  Inflater inflater(15);
  std::string out;
  const auto corrupt = [&](const std::string& data) {
    return inflater.inflate(data, out, 1 << 20, false) == Inflater::Result::Corrupt;
  };
  EXPECT_TRUE(corrupt(bytes({0xff, 0xff, 0xff})));        // reserved block type 3
  EXPECT_TRUE(corrupt(bytes({0x00, 0x05, 0x00, 0x00})));  // stored LEN/NLEN mismatch
  EXPECT_TRUE(corrupt(""));                               // no block at all: the tail alone
  EXPECT_TRUE(corrupt(bytes({0xf2, 0x48, 0xcd})));        // ends inside a block
  // A back-reference before the start of the data (distance 1 with an empty window).
  EXPECT_TRUE(corrupt(bytes({0x02, 0x01, 0x00})));
  EXPECT_TRUE(corrupt(bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xff})));  // junk after
  EXPECT_EQ(inflate_ok(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})), "Hello");
}

TEST(DeflateStream, CorruptionInTheMiddleOfALargeMessage) {
  Deflater deflater(15, 8);
  std::string compressed;
  deflater.deflate(random_bytes(100000, 11), compressed, true);
  compressed[compressed.size() / 2] ^= 0x55;
  compressed.resize(compressed.size() - 1000);
  Inflater inflater(15);
  std::string out;
  EXPECT_NE(inflater.inflate(compressed, out, 1 << 20, false), Inflater::Result::Ok);
}

// ---- memory ----------------------------------------------------------------------------------

TEST(DeflateStream, MemoryMatchesZlibFigures) {
  const Deflater big(15, 8);
  EXPECT_GE(big.memory(), (1u << 17) + (1u << 17));
  EXPECT_LE(big.memory(), (1u << 17) + (1u << 17) + (8u << 10));
  const Deflater small(9, 1);
  EXPECT_LE(small.memory(), (1u << 11) + (1u << 10) + (8u << 10));
  Inflater inflater(15);
  const std::size_t idle = inflater.memory();
  EXPECT_LE(idle, 8u << 10);  // the window comes with the first message
  inflate_ok(inflater, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  EXPECT_EQ(inflater.memory(), idle + (1u << 15));
  std::printf("memory: deflater 15/8 %zu, 9/1 %zu; inflater 15 %zu idle, %zu after a message\n",
              big.memory(), small.memory(), idle, inflater.memory());
}

}  // namespace
}  // namespace wisp::protocol
