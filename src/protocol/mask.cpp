// Masking at memory speed: the key is rotated once to the starting offset, then XORed a vector (or
// a 64-bit word) at a time. Block lengths are multiples of 4, so the rotated key stays in phase;
// only the AVX2 alignment prologue moves the phase, and the key is rotated again after it.
#include "protocol/mask.hpp"

#include <bit>
#include <cstring>

// GCC and Clang only: the AVX2 code relies on their target attribute and CPU-feature builtins.
#if defined(__x86_64__)
#include <immintrin.h>
#define WISP_MASK_X86 1
#endif

namespace wisp::protocol {
namespace {

// Returns the key whose byte 0 (in memory order) is byte `offset` of `key`.
std::uint32_t rotate_key(std::uint32_t key, std::size_t offset) {
  const int bits = static_cast<int>(offset & 3) * 8;
  if constexpr (std::endian::native == std::endian::little) return std::rotr(key, bits);
  return std::rotl(key, bits);
}

#ifdef WISP_MASK_X86

// Below this size the AVX2 dispatch and alignment prologue cost more than they save.
constexpr std::size_t kAvx2MinSize = 512;

void mask_sse2(std::uint8_t* data, std::size_t size, std::uint32_t key) {
  const __m128i k = _mm_set1_epi32(static_cast<int>(key));
  for (; size >= 64; data += 64, size -= 64) {
    auto* v = reinterpret_cast<__m128i*>(data);
    const __m128i a = _mm_xor_si128(_mm_loadu_si128(v + 0), k);
    const __m128i b = _mm_xor_si128(_mm_loadu_si128(v + 1), k);
    const __m128i c = _mm_xor_si128(_mm_loadu_si128(v + 2), k);
    const __m128i d = _mm_xor_si128(_mm_loadu_si128(v + 3), k);
    _mm_storeu_si128(v + 0, a);
    _mm_storeu_si128(v + 1, b);
    _mm_storeu_si128(v + 2, c);
    _mm_storeu_si128(v + 3, d);
  }
  for (; size >= 16; data += 16, size -= 16) {
    auto* v = reinterpret_cast<__m128i*>(data);
    _mm_storeu_si128(v, _mm_xor_si128(_mm_loadu_si128(v), k));
  }
  mask_words(data, size, key);
}

// Large payloads: bring the pointer to a 32-byte boundary first so no load or store splits a cache
// line, then 128 bytes per iteration.
__attribute__((target("avx2"))) void mask_avx2(std::uint8_t* data, std::size_t size,
                                               std::uint32_t key) {
  const std::size_t head = (32 - (reinterpret_cast<std::uintptr_t>(data) & 31)) & 31;
  mask_words(data, head, key);
  data += head;
  size -= head;
  key = rotate_key(key, head);
  const __m256i k = _mm256_set1_epi32(static_cast<int>(key));
  for (; size >= 128; data += 128, size -= 128) {
    auto* v = reinterpret_cast<__m256i*>(data);
    const __m256i a = _mm256_xor_si256(_mm256_load_si256(v + 0), k);
    const __m256i b = _mm256_xor_si256(_mm256_load_si256(v + 1), k);
    const __m256i c = _mm256_xor_si256(_mm256_load_si256(v + 2), k);
    const __m256i d = _mm256_xor_si256(_mm256_load_si256(v + 3), k);
    _mm256_store_si256(v + 0, a);
    _mm256_store_si256(v + 1, b);
    _mm256_store_si256(v + 2, c);
    _mm256_store_si256(v + 3, d);
  }
  for (; size >= 32; data += 32, size -= 32) {
    auto* v = reinterpret_cast<__m256i*>(data);
    _mm256_store_si256(v, _mm256_xor_si256(_mm256_load_si256(v), k));
  }
  // The tail runs legacy-SSE code; GCC emits no vzeroupper before a tail call, and dirty upper
  // halves would make every SSE instruction after it pay a transition penalty.
  _mm256_zeroupper();
  mask_sse2(data, size, key);
}

// A payload masked before this initializer runs (another static initializer) takes the SSE2 path.
const bool kHasAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();

#endif

}  // namespace

std::size_t apply_mask(std::uint8_t* data, std::size_t size, std::uint32_t key,
                       std::size_t offset) {
  const std::uint32_t rotated = rotate_key(key, offset);
#ifdef WISP_MASK_X86
  if (size >= kAvx2MinSize && kHasAvx2) {
    mask_avx2(data, size, rotated);
  } else {
    mask_sse2(data, size, rotated);
  }
#else
  mask_words(data, size, rotated);
#endif
  return (offset + size) & 3;
}

}  // namespace wisp::protocol
