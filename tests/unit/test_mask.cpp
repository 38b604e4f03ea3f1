// apply_mask against the RFC 6455 §5.3 definition, for every length, offset and alignment the
// vector paths distinguish.
#include "protocol/mask.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace wisp::protocol {
namespace {

void naive_mask(std::uint8_t* data, std::size_t size, std::uint32_t key, std::size_t offset) {
  std::uint8_t bytes[4];
  std::memcpy(bytes, &key, 4);
  for (std::size_t i = 0; i < size; ++i) data[i] ^= bytes[(offset + i) % 4];
}

std::vector<std::uint8_t> random_bytes(std::size_t size, std::mt19937& rng) {
  std::vector<std::uint8_t> out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::uint32_t key_from(const std::uint8_t (&bytes)[4]) {
  std::uint32_t key;
  std::memcpy(&key, bytes, 4);
  return key;
}

// Masks `size` bytes at `align` inside a guarded buffer and checks the result, the returned offset,
// that the guard bytes are untouched, and that masking again restores the input.
void check_masking(std::size_t size, std::size_t align, std::size_t offset, std::uint32_t key,
                   std::mt19937& rng) {
  constexpr std::size_t kGuard = 64;
  const std::vector<std::uint8_t> original = random_bytes(size + align + 2 * kGuard, rng);
  std::vector<std::uint8_t> expected = original;
  alignas(64) static std::uint8_t buffer[4096];
  ASSERT_LE(original.size(), sizeof buffer);
  std::memcpy(buffer, original.data(), original.size());
  std::uint8_t* const data = buffer + kGuard + align;
  naive_mask(expected.data() + kGuard + align, size, key, offset);

  EXPECT_EQ(apply_mask(data, size, key, offset), (offset + size) % 4);
  ASSERT_EQ(std::memcmp(buffer, expected.data(), expected.size()), 0)
      << "size " << size << " align " << align << " offset " << offset;
  apply_mask(data, size, key, offset);
  ASSERT_EQ(std::memcmp(buffer, original.data(), original.size()), 0);
}

TEST(Mask, MatchesNaiveForEveryLengthOffsetAndAlignment) {
  std::mt19937 rng(1);
  const std::uint32_t key = key_from({0x37, 0xFA, 0x21, 0x3D});
  for (std::size_t size = 0; size <= 300; ++size) {
    for (std::size_t align = 0; align < 16; ++align) {
      for (std::size_t offset = 0; offset < 4; ++offset)
        check_masking(size, align, offset, key, rng);
    }
  }
}

TEST(Mask, LargePayloadsEveryAlignment) {
  std::mt19937 rng(2);
  for (std::size_t size : {511u, 512u, 513u, 1000u, 1500u, 1919u}) {
    for (std::size_t align = 0; align < 64; align += 3) {
      for (std::size_t offset = 0; offset < 4; ++offset) {
        check_masking(size, align, offset, static_cast<std::uint32_t>(rng()), rng);
      }
    }
  }
}

TEST(Mask, Rfc6455Example) {
  // RFC 6455 §5.7: a masked "Hello" with key 37 fa 21 3d.
  std::uint8_t payload[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  EXPECT_EQ(apply_mask(payload, sizeof payload, key_from({0x37, 0xfa, 0x21, 0x3d}), 0), 1u);
  EXPECT_EQ(std::memcmp(payload, "Hello", 5), 0);
}

TEST(Mask, PiecewiseEqualsWhole) {
  std::mt19937 rng(3);
  const std::uint32_t key = key_from({0x01, 0x02, 0x04, 0x08});
  for (int round = 0; round < 200; ++round) {
    const std::vector<std::uint8_t> original = random_bytes(rng() % 5000, rng);
    std::vector<std::uint8_t> whole = original;
    naive_mask(whole.data(), whole.size(), key, 0);

    std::vector<std::uint8_t> pieces = original;
    std::size_t done = 0;
    std::size_t offset = 0;
    while (done < pieces.size()) {
      const std::size_t n = std::min<std::size_t>(rng() % 700, pieces.size() - done);
      offset = apply_mask(pieces.data() + done, n, key, offset);
      done += n;
    }
    EXPECT_EQ(offset, original.size() % 4);
    ASSERT_EQ(pieces, whole);
  }
}

TEST(Mask, ZeroKeyAndZeroLength) {
  std::uint8_t data[37];
  for (std::size_t i = 0; i < sizeof data; ++i) data[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(apply_mask(data, sizeof data, 0, 2), (2 + sizeof data) % 4);
  for (std::size_t i = 0; i < sizeof data; ++i) EXPECT_EQ(data[i], i);
  EXPECT_EQ(apply_mask(nullptr, 0, 0xdeadbeef, 3), 3u);
}

}  // namespace
}  // namespace wisp::protocol
