// Utf8Validator against RFC 3629 (the Autobahn 6.x cases and Markus Kuhn's stress test): every case
// is fed whole, split at every byte boundary and byte by byte, and must fail at exactly the first
// byte that no valid text can continue.
#include "protocol/utf8.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace wisp::protocol {
namespace {

using Bytes = std::string;
constexpr std::size_t kValid = std::string::npos;

// RFC 3629 §4, table by table, byte by byte. Returns the index of the first byte after which the
// input can no longer be valid, or kValid; `open` tells whether a sequence is left unfinished.
std::size_t reference_first_error(const Bytes& s, bool* open = nullptr) {
  if (open) *open = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    std::size_t len = 1;
    std::uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (b < 0x80)
      len = 1;
    else if (b >= 0xC2 && b <= 0xDF)
      len = 2;
    else if (b == 0xE0)
      len = 3, lo = 0xA0;
    else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
      len = 3;
    else if (b == 0xED)
      len = 3, hi = 0x9F;
    else if (b == 0xF0)
      len = 4, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3)
      len = 4;
    else if (b == 0xF4)
      len = 4, hi = 0x8F;
    else
      return i;
    for (std::size_t k = 1; k < len; ++k) {
      if (i + k == s.size()) {
        if (open) *open = true;
        return kValid;
      }
      const auto c = static_cast<std::uint8_t>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return i + k;
    }
    i += len;
  }
  return kValid;
}

// Encodes `cp` in `len` bytes, without any validity check: also makes overlongs, surrogates and
// values above U+10FFFF (up to 0x1FFFFF).
Bytes encode_as(std::uint32_t cp, int len) {
  static constexpr std::uint8_t kLead[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  Bytes out(static_cast<std::size_t>(len), '\0');
  for (int i = len - 1; i > 0; --i, cp >>= 6) out[i] = static_cast<char>(0x80 | (cp & 0x3F));
  out[0] = static_cast<char>(kLead[len] | cp);
  return out;
}

Bytes encode(std::uint32_t cp) {
  return encode_as(cp, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
}

// Whether `s` may be cut at `at` between two characters.
bool is_boundary(const Bytes& s, std::size_t at) {
  bool open;
  return reference_first_error(s.substr(0, at), &open) == kValid && !open;
}

Bytes hex(std::initializer_list<int> bytes) {
  Bytes out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// Concatenation by append (GCC 12 warns falsely on string operator+ chains under -O3).
Bytes cat(std::initializer_list<std::string_view> parts) {
  Bytes out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

bool feed(Utf8Validator& v, const Bytes& s, std::size_t from, std::size_t to) {
  return v.feed(std::string_view(s).substr(from, to - from));
}

// Checks the validator on `s` fed whole, byte by byte and (if `splits`) in two pieces split at
// every boundary. `error` is the index of the first offending byte or kValid; `open` whether a
// valid input ends inside a sequence.
void check(const Bytes& s, std::size_t error, bool open, bool splits = true) {
  SCOPED_TRACE(::testing::PrintToString(s));
  ASSERT_EQ(reference_first_error(s), error) << "test case disagrees with the reference";
  const bool valid = error == kValid;
  {
    Utf8Validator v;
    EXPECT_EQ(v.feed(s), valid);
    EXPECT_EQ(v.failed(), !valid);
    EXPECT_EQ(v.complete(), valid && !open);
    EXPECT_EQ(is_valid_utf8(s), valid && !open);
  }
  if (!valid) {
    Utf8Validator before, at;
    EXPECT_TRUE(before.feed(std::string_view(s).substr(0, error))) << "fails before byte " << error;
    EXPECT_FALSE(at.feed(std::string_view(s).substr(0, error + 1))) << "passes byte " << error;
  }
  {
    Utf8Validator v;
    for (std::size_t i = 0; i < s.size(); ++i) {
      ASSERT_EQ(feed(v, s, i, i + 1), i < error) << "byte by byte, at " << i;
    }
    EXPECT_EQ(v.complete(), valid && !open);
  }
  for (std::size_t k = 0; splits && k <= s.size(); ++k) {
    Utf8Validator v;
    ASSERT_EQ(feed(v, s, 0, k), k <= error) << "first piece of split at " << k;
    ASSERT_EQ(feed(v, s, k, s.size()), valid) << "second piece of split at " << k;
    EXPECT_EQ(v.failed(), !valid);
  }
}

void check_valid(const Bytes& s) { check(s, kValid, false); }
void check_open(const Bytes& s) { check(s, kValid, true); }
void check_invalid(const Bytes& s, std::size_t error) { check(s, error, false); }

// Padding that puts a case deep into a buffer, so the bulk (vector) paths meet it too.
const Bytes kMixed =
    "κόσμε ~ €uro 𝄞 clef, ÿ; "
    "ASCII run for block lengths.";

TEST(Utf8, ValidText) {
  check_valid("");
  check_valid("Hello, world");
  check_valid("κόσμε");                   // Autobahn 6.2.1, Kuhn 1
  check_valid("Hello-µ@ßöäüàá-UTF-8!!");  // Autobahn 6.2.x, 6.5.x
  check_valid(cat({kMixed, kMixed, kMixed}));
  check_valid(Bytes(1000, 'a'));
  check_valid(hex({0x00}));
  check_valid(hex({0xF0, 0x9F, 0x98, 0x80}));  // U+1F600
}

TEST(Utf8, BoundaryCodePoints) {
  // Kuhn 2.1-2.3, Autobahn 6.6-6.9: first and last of each length, and other edges.
  for (std::uint32_t cp :
       {0x0u,    0x7Fu,   0x80u,   0x7FFu,  0x800u,   0xFFFFu, 0x10000u, 0x10FFFFu,
        0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFEu, 0xFDD0u,  0xFDEFu, 0x1FFFEu, 0x10FFFEu,
        0xFFFu,  0x1000u, 0xCFFFu, 0xD000u, 0x3FFFFu, 0x40000u}) {
    check_valid(encode(cp));
    check_valid(cat({"a", encode(cp), "z"}));
    check_valid(cat({kMixed, encode(cp), kMixed}));
  }
}

TEST(Utf8, EveryCodePointMatchesTheReference) {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const Bytes s = encode(cp);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(reference_first_error(s) == kValid, !surrogate) << cp;
    ASSERT_EQ(is_valid_utf8(s), !surrogate) << cp;
  }
}

TEST(Utf8, LoneContinuationBytes) {
  // Kuhn 3.1, Autobahn 6.10-6.11.
  for (int b = 0x80; b <= 0xBF; ++b) {
    check_invalid(hex({b}), 0);
    check_invalid(cat({"ab", hex({b})}), 2);
    check_invalid(hex({0xC2, 0x80, b}), 2);
  }
  check_invalid(hex({0x80, 0xBF, 0x80, 0xBF}), 0);
  Bytes all_continuations;
  for (int b = 0x80; b <= 0xBF; ++b) all_continuations.push_back(static_cast<char>(b));
  check_invalid(all_continuations, 0);
}

TEST(Utf8, LeadBytesFollowedByASpace) {
  // Kuhn 3.2: every lead byte followed by ASCII fails at the ASCII byte; bytes that cannot lead
  // fail at once.
  for (int b = 0xC0; b <= 0xFF; ++b) {
    const bool can_lead = (b >= 0xC2 && b <= 0xF4);
    check_invalid(hex({b, ' '}), can_lead ? 1 : 0);
  }
}

TEST(Utf8, TruncatedSequences) {
  // Kuhn 3.3-3.4: the last continuation byte missing.
  check_open(hex({0xC2}));
  check_open(hex({0xDF}));
  check_open(hex({0xE0, 0xA0}));
  check_open(hex({0xEF, 0xBF}));
  check_open(hex({0xF0, 0x90, 0x80}));
  check_open(hex({0xF4, 0x8F, 0xBF}));
  check_open(cat({kMixed, hex({0xF1, 0x80, 0x80})}));
  check_invalid(hex({0xDF, 'a'}), 1);
  check_invalid(hex({0xE0, 0xA0, 'a'}), 2);
  check_invalid(hex({0xF0, 0x90, 0x80, 'a'}), 3);
  check_invalid(hex({0xC2, 0xC2, 0x80}), 1);
  check_invalid(hex({0xE1, 0x80, 0xE1, 0x80, 0x80}), 2);
  // Kuhn 3.4: all of 3.3 concatenated.
  check_invalid(hex({0xC0, 0xE0, 0x80, 0xF0, 0x80, 0x80, 0xDF, 0xEF, 0xBF, 0xF7, 0xBF, 0xBF}), 0);
  check_invalid(hex({0xDF, 0xEF, 0xBF}), 1);
}

TEST(Utf8, ImpossibleBytes) {
  // Kuhn 3.5, Autobahn 6.18-6.19.
  check_invalid(hex({0xFE}), 0);
  check_invalid(hex({0xFF}), 0);
  check_invalid(hex({0xFE, 0xFE, 0xFF, 0xFF}), 0);
  check_invalid(cat({"ab", hex({0xFF})}), 2);
}

TEST(Utf8, FiveAndSixByteForms) {
  // Kuhn 2.1.5-2.1.6 and 2.2.5-2.2.6; RFC 3629 forbids them, at the lead byte.
  check_invalid(hex({0xF8, 0x88, 0x80, 0x80, 0x80}), 0);
  check_invalid(hex({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}), 0);
  check_invalid(hex({0xFB, 0xBF, 0xBF, 0xBF, 0xBF}), 0);
  check_invalid(hex({0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF}), 0);
}

TEST(Utf8, Overlongs) {
  // Kuhn 4.1-4.3, Autobahn 6.16-6.17: C0/C1 fail at once, E0/F0 at the second byte.
  check_invalid(hex({0xC0, 0xAF}), 0);
  check_invalid(hex({0xC1, 0xBF}), 0);
  check_invalid(hex({0xC0, 0x80}), 0);
  check_invalid(hex({0xE0, 0x80, 0xAF}), 1);
  check_invalid(hex({0xE0, 0x9F, 0xBF}), 1);
  check_invalid(hex({0xE0, 0x80, 0x80}), 1);
  check_invalid(hex({0xF0, 0x80, 0x80, 0xAF}), 1);
  check_invalid(hex({0xF0, 0x8F, 0xBF, 0xBF}), 1);
  check_invalid(hex({0xF0, 0x80, 0x80, 0x80}), 1);
  check_invalid(hex({0xF8, 0x80, 0x80, 0x80, 0xAF}), 0);
  check_invalid(hex({0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF}), 0);
  check_invalid(hex({0xFC, 0x83, 0xBF, 0xBF, 0xBF, 0xBF}), 0);
}

TEST(Utf8, Surrogates) {
  // Kuhn 5.1-5.2, Autobahn 6.20-6.21: single and paired UTF-16 surrogates fail at the second byte.
  for (int second : {0xA0, 0xAD, 0xAE, 0xAF, 0xB0, 0xBE, 0xBF}) {
    check_invalid(hex({0xED, second, 0x80}), 1);
    check_invalid(hex({0xED, second, 0xBF}), 1);
  }
  check_invalid(hex({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80}), 1);
  check_invalid(hex({0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF}), 1);
  check_valid(hex({0xED, 0x9F, 0xBF}));  // U+D7FF
  check_valid(hex({0xEE, 0x80, 0x80}));  // U+E000
}

TEST(Utf8, AboveMaximum) {
  // Autobahn 6.4.x fail-fast cases: F4 90 is already beyond U+10FFFF.
  check_invalid(hex({0xF4, 0x90, 0x80, 0x80}), 1);
  check_invalid(hex({0xF4, 0xBF, 0xBF, 0xBF}), 1);
  check_invalid(hex({0xF5, 0x80, 0x80, 0x80}), 0);
  check_invalid(hex({0xF7, 0xBF, 0xBF, 0xBF}), 0);
  const Bytes kosme = hex({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5});
  check_invalid(cat({kosme, hex({0xF4, 0x90, 0x80, 0x80}), "edited"}), 12);  // 6.4.1
  check_invalid(cat({kosme, hex({0xF4, 0x90})}), 12);                        // 6.4.2 first fragment
  check_invalid(cat({kosme, hex({0xED, 0xA0, 0x80}), "edited"}), 12);        // 6.3.1
}

TEST(Utf8, NoncharactersAreValid) {
  // Kuhn 5.3: U+FFFE and U+FFFF are valid UTF-8.
  check_valid(hex({0xEF, 0xBF, 0xBE}));
  check_valid(hex({0xEF, 0xBF, 0xBF}));
}

TEST(Utf8, ErrorsDeepInLongInput) {
  // Every case at many positions in long valid text (ASCII, multi-byte, long ASCII runs between),
  // so the bulk paths meet it at every offset within their blocks.
  const std::vector<std::pair<Bytes, std::size_t>> cases = {
      {hex({0x80}), 0},
      {hex({0xC0, 0x80}), 0},
      {hex({0xC2, 'a'}), 1},
      {hex({0xE0, 0x9F, 0xBF}), 1},
      {hex({0xED, 0xA0, 0x80}), 1},
      {hex({0xED, 0xBF, 0xBF}), 1},
      {hex({0xF0, 0x8F, 0xBF, 0xBF}), 1},
      {hex({0xF4, 0x90, 0x80, 0x80}), 1},
      {hex({0xF5, 0x80, 0x80, 0x80}), 0},
      {hex({0xF8, 0x88, 0x80, 0x80, 0x80}), 0},
      {hex({0xFF}), 0},
      {hex({0xE1, 0x80, 'a'}), 2},
      {hex({0xF1, 0x80, 0x80, 0xC0}), 3},
      {hex({0xC2, 0x80, 0x80}), 2},
      {hex({0xE1, 0x80, 0x80, 0x80}), 3},
      {hex({0xF1, 0x80, 0x80, 0x80, 0x80}), 4},
  };
  const Bytes fillers[] = {Bytes(200, 'x'), cat({kMixed, kMixed, kMixed, kMixed, kMixed}),
                           cat({kMixed, Bytes(400, 'x'), kMixed})};
  for (const Bytes& filler : fillers) {
    for (const auto& [bad, at] : cases) {
      for (std::size_t pos = 0; pos < filler.size(); pos += pos < 100 ? 1 : 13) {
        std::size_t start = pos;
        while (!is_boundary(filler, start)) ++start;
        const Bytes s = cat({std::string_view(filler).substr(0, start), bad, filler});
        check(s, start + at, false, /*splits=*/pos % 7 == 0);
      }
    }
  }
}

TEST(Utf8, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed(hex({0xC0})));
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed("plain ascii"));
  EXPECT_FALSE(v.feed(""));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.feed("plain ascii"));
  EXPECT_TRUE(v.complete());
  EXPECT_TRUE(v.feed(hex({0xE2, 0x82})));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.feed(hex({0xAC})));  // "€" across three feeds
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, AllTwoByteAndThreeByteInputs) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const Bytes s = hex({a, b});
      Utf8Validator v;
      ASSERT_EQ(v.feed(s), reference_first_error(s) == kValid) << a << " " << b;
    }
  }
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; ++c) {
        const Bytes s = hex({a, b, c});
        bool open;
        const bool valid = reference_first_error(s, &open) == kValid;
        Utf8Validator v;
        ASSERT_EQ(v.feed(s), valid) << a << " " << b << " " << c;
        ASSERT_EQ(v.complete(), valid && !open);
      }
    }
  }
}

// Random text: valid characters of every length, with occasional random bytes.
Bytes random_text(std::mt19937& rng, std::size_t chars, int noise_per_mille) {
  Bytes s;
  for (std::size_t i = 0; i < chars; ++i) {
    if (static_cast<int>(rng() % 1000) < noise_per_mille) {
      switch (rng() % 4) {
        case 0:
          s.push_back(static_cast<char>(rng()));
          break;
        case 1:
          s += encode_as(0xD800 + rng() % 0x800, 3);
          break;  // surrogate
        case 2:
          s += encode_as(rng() % 0x10000, 2 + rng() % 3);
          break;  // often overlong
        default:
          s += encode_as(0x110000 + rng() % 0xF0000, 4);  // above U+10FFFF
      }
      continue;
    }
    switch (rng() % 5) {
      case 0:
      case 1:
        s.push_back(static_cast<char>(rng() % 0x80));
        break;
      case 2:
        s += encode(0x80 + rng() % (0x800 - 0x80));
        break;
      case 3: {
        std::uint32_t cp = 0x800 + rng() % (0x10000 - 0x800);
        s += encode(cp >= 0xD800 && cp <= 0xDFFF ? cp + 0x800 : cp);
        break;
      }
      default:
        s += encode(0x10000 + rng() % (0x110000 - 0x10000));
    }
  }
  return s;
}

TEST(Utf8, RandomInputsMatchTheReference) {
  std::mt19937 rng(42);
  for (int round = 0; round < 20000; ++round) {
    const int noise = round % 4 == 0 ? 0 : static_cast<int>(rng() % 20);
    const Bytes s = random_text(rng, rng() % 300, noise);
    bool open;
    const std::size_t error = reference_first_error(s, &open);
    const bool valid = error == kValid;
    Utf8Validator whole;
    ASSERT_EQ(whole.feed(s), valid) << ::testing::PrintToString(s);
    ASSERT_EQ(whole.complete(), valid && !open);
    if (!valid) {
      Utf8Validator prefix;
      ASSERT_TRUE(prefix.feed(std::string_view(s).substr(0, error)));
      ASSERT_FALSE(prefix.feed(std::string_view(s).substr(error, 1)));
    }
    Utf8Validator pieces;  // random chunking, chunk results consistent with the error position
    for (std::size_t done = 0; done < s.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 80, s.size() - done);
      ASSERT_EQ(feed(pieces, s, done, done + n), done + n <= error);
      done += n;
    }
    ASSERT_EQ(pieces.complete(), valid && !open);
  }
}

}  // namespace
}  // namespace wisp::protocol
