// Incremental UTF-8 validation.
//
// The exact check is a shift-based DFA: each state is a bit offset (a multiple of 6) into a 64-bit
// row per input byte, and the row holds every state's successor, so one step is a table load that
// does not depend on the state plus one shift (a cycle or two per byte). `state_` is that offset.
//
// While the state is ACCEPT (between characters), valid text is skipped in bulk: with AVX2 by the
// Keiser-Lemire lookup algorithm (simdjson's), 32 bytes per step; otherwise ASCII only, 16 bytes
// per SSE2 test. The bulk pass only reports "valid up to here"; whenever it stops (an error in the
// block, or the end of the input) the DFA takes over from the last character boundary, so the DFA
// alone decides where the stream fails.
#include "protocol/utf8.hpp"

#include <array>
#include <cstring>
#include <initializer_list>

// GCC and Clang only: the AVX2 code relies on their target attribute and CPU-feature builtins.
#if defined(__x86_64__)
#include <immintrin.h>
#define WISP_UTF8_X86 1
#endif

namespace wisp::protocol {
namespace {

// DFA states as bit offsets into a row.
enum : std::uint8_t {
  kAccept = 0,    // between characters
  kReject = 6,    // sticky
  kNeed1 = 12,    // one more continuation byte, 80-BF
  kNeed2 = 18,    // two more, 80-BF
  kNeed3 = 24,    // three more, 80-BF
  kAfterE0 = 30,  // next byte A0-BF (no overlong 3-byte forms)
  kAfterED = 36,  // next byte 80-9F (no surrogates)
  kAfterF0 = 42,  // next byte 90-BF (no overlong 4-byte forms)
  kAfterF4 = 48,  // next byte 80-8F (nothing above U+10FFFF)
};
constexpr std::uint8_t kStates[] = {kAccept,  kReject,  kNeed1,   kNeed2,  kNeed3,
                                    kAfterE0, kAfterED, kAfterF0, kAfterF4};

struct Move {
  std::uint8_t from, to;
};

// A row where every state rejects except the listed moves.
constexpr std::uint64_t make_row(std::initializer_list<Move> moves) {
  std::uint64_t row = 0;
  for (std::uint8_t s : kStates) row |= std::uint64_t{kReject} << s;
  for (Move m : moves) {
    row &= ~(std::uint64_t{63} << m.from);
    row |= std::uint64_t{m.to} << m.from;
  }
  return row;
}

// Continuation bytes fall into three classes by which second-byte restriction they pass.
constexpr std::uint64_t kCont80 = make_row({{kNeed1, kAccept},
                                            {kNeed2, kNeed1},
                                            {kNeed3, kNeed2},
                                            {kAfterED, kNeed1},
                                            {kAfterF4, kNeed2}});
constexpr std::uint64_t kCont90 = make_row({{kNeed1, kAccept},
                                            {kNeed2, kNeed1},
                                            {kNeed3, kNeed2},
                                            {kAfterED, kNeed1},
                                            {kAfterF0, kNeed2}});
constexpr std::uint64_t kContA0 = make_row({{kNeed1, kAccept},
                                            {kNeed2, kNeed1},
                                            {kNeed3, kNeed2},
                                            {kAfterE0, kNeed1},
                                            {kAfterF0, kNeed2}});

constexpr std::array<std::uint64_t, 256> make_table() {
  std::array<std::uint64_t, 256> table{};
  for (int b = 0; b < 256; ++b) {
    std::uint64_t row = make_row({});  // C0, C1, F5-FF: never valid
    if (b < 0x80)
      row = make_row({{kAccept, kAccept}});
    else if (b < 0x90)
      row = kCont80;
    else if (b < 0xA0)
      row = kCont90;
    else if (b < 0xC0)
      row = kContA0;
    else if (b >= 0xC2 && b < 0xE0)
      row = make_row({{kAccept, kNeed1}});
    else if (b == 0xE0)
      row = make_row({{kAccept, kAfterE0}});
    else if (b == 0xED)
      row = make_row({{kAccept, kAfterED}});
    else if (b >= 0xE1 && b < 0xF0)
      row = make_row({{kAccept, kNeed2}});
    else if (b == 0xF0)
      row = make_row({{kAccept, kAfterF0}});
    else if (b >= 0xF1 && b < 0xF4)
      row = make_row({{kAccept, kNeed3}});
    else if (b == 0xF4)
      row = make_row({{kAccept, kAfterF4}});
    table[b] = row;
  }
  return table;
}

constexpr std::array<std::uint64_t, 256> kTable = make_table();

// Runs the DFA over `size` bytes. Only the low 6 bits of the result are the state; the shift count
// is masked so the compiler can use the hardware's own modulo-64 shift.
std::uint64_t run_dfa(const std::uint8_t* p, std::size_t size, std::uint64_t state) {
  for (std::size_t i = 0; i < size; ++i) state = kTable[p[i]] >> (state & 63);
  return state & 63;
}

// Skips whole 16-byte blocks of ASCII.
const std::uint8_t* skip_ascii(const std::uint8_t* p, const std::uint8_t* end) {
#ifdef WISP_UTF8_X86
  auto load = [](const std::uint8_t* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  for (; end - p >= 64; p += 64) {
    const __m128i any =
        _mm_or_si128(_mm_or_si128(load(p), load(p + 16)), _mm_or_si128(load(p + 32), load(p + 48)));
    if (_mm_movemask_epi8(any) != 0) break;
  }
  for (; end - p >= 16; p += 16) {
    if (_mm_movemask_epi8(load(p)) != 0) break;
  }
#else
  for (; end - p >= 16; p += 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    if (((a | b) & 0x8080808080808080u) != 0) break;
  }
#endif
  return p;
}

#ifdef WISP_UTF8_X86

// Where the character containing or following `p` starts, given that [start, p) is valid UTF-8
// that begins on a character boundary: backs up over a sequence left open at p.
const std::uint8_t* character_start(const std::uint8_t* start, const std::uint8_t* p) {
  if (p - start < 3) return start;
  if (p[-1] >= 0xC0) return p - 1;
  if (p[-2] >= 0xE0) return p - 2;
  if (p[-3] >= 0xF0) return p - 3;
  return p;
}

// The Keiser-Lemire lookup algorithm ("Validating UTF-8 in less than one instruction per byte",
// 2021): three nibble lookups classify every (previous byte, byte) pair, and a saturating-subtract
// test checks that 3rd and 4th bytes of sequences are continuations.
namespace lookup {

constexpr std::uint8_t kTooShort = 1 << 0;   // lead byte not followed by a continuation
constexpr std::uint8_t kTooLong = 1 << 1;    // ASCII then continuation
constexpr std::uint8_t kOverlong3 = 1 << 2;  // E0 80-9F
constexpr std::uint8_t kTooLarge = 1 << 3;   // F4 90-BF, F5-FF
constexpr std::uint8_t kSurrogate = 1 << 4;  // ED A0-BF
constexpr std::uint8_t kOverlong2 = 1 << 5;  // C0, C1
constexpr std::uint8_t kTooLarge1000 = 1 << 6;
constexpr std::uint8_t kOverlong4 = 1 << 6;  // F0 80-8F
constexpr std::uint8_t kTwoConts = 1 << 7;   // continuation then continuation
constexpr std::uint8_t kCarry = kTooShort | kTooLong | kTwoConts;

__attribute__((target("avx2"))) inline __m256i table(
    std::uint8_t t0, std::uint8_t t1, std::uint8_t t2, std::uint8_t t3, std::uint8_t t4,
    std::uint8_t t5, std::uint8_t t6, std::uint8_t t7, std::uint8_t t8, std::uint8_t t9,
    std::uint8_t t10, std::uint8_t t11, std::uint8_t t12, std::uint8_t t13, std::uint8_t t14,
    std::uint8_t t15) {
  return _mm256_setr_epi8(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15, t0,
                          t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15);
}

__attribute__((target("avx2"))) inline __m256i high_nibble(__m256i v) {
  return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F));
}

// The input shifted right by n bytes across the 32-byte lane, bytes from `prev` filling in.
template <int N>
__attribute__((target("avx2"))) inline __m256i previous(__m256i input, __m256i prev) {
  return _mm256_alignr_epi8(input, _mm256_permute2x128_si256(prev, input, 0x21), 16 - N);
}

__attribute__((target("avx2"))) inline __m256i special_cases(__m256i input, __m256i prev1) {
  const __m256i byte1_high = _mm256_shuffle_epi8(
      table(kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,
            kTwoConts, kTwoConts, kTwoConts, kTwoConts, kTooShort | kOverlong2, kTooShort,
            kTooShort | kOverlong3 | kSurrogate,
            kTooShort | kTooLarge | kTooLarge1000 | kOverlong4),
      high_nibble(prev1));
  constexpr std::uint8_t kLarge = kCarry | kTooLarge | kTooLarge1000;
  const __m256i byte1_low = _mm256_shuffle_epi8(
      table(kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry, kCarry,
            kCarry | kTooLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge, kLarge,
            kLarge | kSurrogate, kLarge, kLarge),
      _mm256_and_si256(prev1, _mm256_set1_epi8(0x0F)));
  constexpr std::uint8_t kCont = kTooLong | kOverlong2 | kTwoConts;
  const __m256i byte2_high = _mm256_shuffle_epi8(
      table(kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
            kCont | kOverlong3 | kTooLarge1000 | kOverlong4, kCont | kOverlong3 | kTooLarge,
            kCont | kSurrogate | kTooLarge, kCont | kSurrogate | kTooLarge, kTooShort, kTooShort,
            kTooShort, kTooShort),
      high_nibble(input));
  return _mm256_and_si256(_mm256_and_si256(byte1_high, byte1_low), byte2_high);
}

// Nonzero where the block is invalid, given the previous block.
__attribute__((target("avx2"))) inline __m256i errors(__m256i input, __m256i prev) {
  const __m256i special = special_cases(input, previous<1>(input, prev));
  const __m256i third = _mm256_subs_epu8(previous<2>(input, prev), _mm256_set1_epi8(0xE0 - 0x80));
  const __m256i fourth = _mm256_subs_epu8(previous<3>(input, prev), _mm256_set1_epi8(0xF0 - 0x80));
  const __m256i must_continue =
      _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_xor_si256(must_continue, special);
}

// Nonzero where the block's last bytes open a sequence that continues past it.
__attribute__((target("avx2"))) inline __m256i open_at_end(__m256i input) {
  const __m256i limits =
      _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                       -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(0xF0 - 1),
                       static_cast<char>(0xE0 - 1), static_cast<char>(0xC0 - 1));
  return _mm256_subs_epu8(input, limits);
}

}  // namespace lookup

__attribute__((target("avx2"))) inline __m256i load(const std::uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2"))) inline bool is_ascii128(const std::uint8_t* p) {
  const __m256i any = _mm256_or_si256(_mm256_or_si256(load(p), load(p + 32)),
                                      _mm256_or_si256(load(p + 64), load(p + 96)));
  return _mm256_testz_si256(any, _mm256_set1_epi8(static_cast<char>(0x80)));
}

// Skips valid text 32 bytes at a time; stops at the character boundary before the first block
// that holds an error (or a sequence left open before an ASCII block) or that would pass `end`.
__attribute__((target("avx2"))) const std::uint8_t* skip_valid_avx2(const std::uint8_t* p,
                                                                    const std::uint8_t* end) {
  const std::uint8_t* const start = p;
  __m256i prev = _mm256_setzero_si256();
  __m256i open = _mm256_setzero_si256();
  while (end - p >= 32) {
    const __m256i input = load(p);
    if (_mm256_movemask_epi8(input) == 0 && _mm256_testz_si256(open, open)) {
      // ASCII after a complete character: run through ASCII 128 bytes at a time. `prev` stays
      // ASCII, so the next lookup sees the same classes as for the skipped bytes.
      for (p += 32; end - p >= 128 && is_ascii128(p);) p += 128;
    } else {
      const __m256i bad = lookup::errors(input, prev);
      if (!_mm256_testz_si256(bad, bad)) break;
      open = lookup::open_at_end(input);
      p += 32;
    }
    prev = input;
  }
  return character_start(start, p);
}

// Text validated before this initializer runs (another static initializer) takes the ASCII path.
const bool kHasAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();

#endif

// Skips what can be proved valid quickly; the state must be kAccept at `p`, and is again at the
// returned position. ASCII goes first through the SSE2 loop, which costs less to enter than the
// AVX2 one (short messages are mostly ASCII).
const std::uint8_t* skip_valid(const std::uint8_t* p, const std::uint8_t* end) {
  p = skip_ascii(p, end);
#ifdef WISP_UTF8_X86
  if (kHasAvx2 && end - p >= 32) return skip_valid_avx2(p, end);
#endif
  return p;
}

}  // namespace

bool Utf8Validator::feed(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t* p = data;
  const std::uint8_t* const end = data + size;
  std::uint64_t state = state_;
  // Bulk skipping between 16-byte DFA steps; checking for rejection once per step stops early on
  // bad input without a branch per byte.
  while (state != kReject) {
    if (state == kAccept) p = skip_valid(p, end);
    if (end - p < 16) {
      state = run_dfa(p, static_cast<std::size_t>(end - p), state);
      break;
    }
    state = run_dfa(p, 16, state);
    p += 16;
  }
  state_ = static_cast<std::uint8_t>(state);
  return state != kReject;
}

bool Utf8Validator::failed() const { return state_ == kReject; }

bool is_valid_utf8(std::string_view text) {
  Utf8Validator validator;
  return validator.feed(text) && validator.complete();
}

}  // namespace wisp::protocol
