// Micro-benchmarks for the sans-I/O protocol layer, one section per component. Every benchmark
// reports bytes/s (SetBytesProcessed) so figures compare across sections.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/deflate_stream.hpp"
#include "protocol/frame.hpp"
#include "protocol/mask.hpp"
#include "protocol/reader.hpp"
#include "protocol/utf8.hpp"

namespace {

std::vector<std::uint8_t> random_payload(std::size_t size) {
  std::mt19937 rng(7);
  std::vector<std::uint8_t> out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Unmasking (protocol/mask.hpp)
// ---------------------------------------------------------------------------------------------

void BM_Unmask(benchmark::State& state) {
  auto payload = random_payload(static_cast<std::size_t>(state.range(0)));
  const std::uint32_t key = 0x3d21fa37;
  for (auto _ : state) {
    wisp::protocol::apply_mask(payload.data(), payload.size(), key, 0);
    benchmark::DoNotOptimize(payload.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Unmask)->Arg(64)->Arg(1 << 10)->Arg(16 << 10)->Arg(1 << 20);

// A payload that starts off a 16-byte boundary at key offset 1, as after a 2-byte frame header.
void BM_UnmaskUnaligned(benchmark::State& state) {
  auto buffer = random_payload(static_cast<std::size_t>(state.range(0)) + 16);
  for (auto _ : state) {
    wisp::protocol::apply_mask(buffer.data() + 3, buffer.size() - 16, 0x3d21fa37, 1);
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_UnmaskUnaligned)->Arg(64)->Arg(1 << 10)->Arg(16 << 10);

// ---------------------------------------------------------------------------------------------
// UTF-8 validation (protocol/utf8.hpp)
// ---------------------------------------------------------------------------------------------

std::string ascii_text(std::size_t size) {
  const std::string words =
      "The quick brown fox jumps over the lazy dog; {\"type\":\"chat\"} 0123. ";
  std::string out;
  while (out.size() < size) out += words;
  out.resize(size);
  return out;
}

// About a third of the characters are multi-byte (2, 3 and 4 bytes), cut on a character boundary.
std::string mixed_text(std::size_t size) {
  const std::string words = "Grüße, κόσμε, 世界 and 😀 once; price 5€ naïve café. ";
  std::string out;
  for (std::size_t i = 0;; i = (i + 1) % words.size()) {
    const auto byte = static_cast<unsigned char>(words[i]);
    const std::size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    if (byte >= 0x80 && byte < 0xC0) continue;  // continuation: copied with its lead
    if (out.size() + length > size) break;
    out.append(words, i, length);
  }
  out.resize(size, 'x');
  return out;
}

template <std::string (*Make)(std::size_t)>
void BM_Utf8Validate(benchmark::State& state) {
  const std::string text = Make(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    wisp::protocol::Utf8Validator validator;
    benchmark::DoNotOptimize(validator.feed(text));
    benchmark::DoNotOptimize(validator.complete());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Utf8Validate<ascii_text>)->Name("BM_Utf8Ascii")->Arg(64)->Arg(1 << 10)->Arg(64 << 10);
BENCHMARK(BM_Utf8Validate<mixed_text>)->Name("BM_Utf8Mixed")->Arg(64)->Arg(1 << 10)->Arg(64 << 10);

// ---------------------------------------------------------------------------------------------
// permessage-deflate (protocol/deflate_stream.hpp)
// ---------------------------------------------------------------------------------------------

// 64 chat-like JSON messages of 1 KiB, alike in shape but not in content, as a feed sends them.
std::vector<std::string> json_messages() {
  std::mt19937 rng(11);
  const char* const users[] = {"alice", "bob", "carol", "dave"};
  std::vector<std::string> out;
  for (int i = 0; i < 64; ++i) {
    std::string m = "[";
    while (m.size() < 1024) {
      m.append("{\"type\":\"chat\",\"user\":\"").append(users[rng() % 4]);
      m.append("\",\"ts\":").append(std::to_string(1700000000 + rng() % 100000));
      m.append(",\"seq\":").append(std::to_string(rng() % 1000));
      m.append(",\"text\":\"message number ").append(std::to_string(rng()));
      m.append("\"},");
    }
    m.resize(1023);
    m.push_back(']');
    out.push_back(std::move(m));
  }
  return out;
}

// Compression ratio of the last pass, and bytes/s of uncompressed data, in both directions.
void report(benchmark::State& state, std::size_t raw, std::size_t compressed) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1024);
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(raw);
}

// Takeover: a dedicated per-socket stream keeping its context; else a shared stream reset after
// each message (no_context_takeover). The argument is the zlib level (6 is zlib's default).
template <bool Takeover>
void BM_Deflate(benchmark::State& state) {
  const std::vector<std::string> messages = json_messages();
  wisp::protocol::Deflater deflater(15, 8, static_cast<int>(state.range(0)));
  std::string out;
  std::size_t i = 0, raw = 0, compressed = 0;
  for (auto _ : state) {
    const std::string& message = messages[i++ % messages.size()];
    deflater.deflate(message, out, !Takeover);
    raw += message.size();
    compressed += out.size();
  }
  report(state, raw, compressed);
}
BENCHMARK(BM_Deflate<false>)->Name("BM_DeflateJson1KiBNoContext")->Arg(1)->Arg(6);
BENCHMARK(BM_Deflate<true>)->Name("BM_DeflateJson1KiBTakeover")->Arg(1)->Arg(6);

template <bool Takeover>
void BM_Inflate(benchmark::State& state) {
  const std::vector<std::string> messages = json_messages();
  // Inflated in the order they were compressed in, so that context takeover holds across laps.
  wisp::protocol::Deflater deflater(15, 8);
  std::vector<std::string> compressed(messages.size());
  for (std::size_t m = 0; m < messages.size(); ++m) {
    deflater.deflate(messages[m], compressed[m], !Takeover);
  }
  wisp::protocol::Inflater inflater(15);
  std::string out;
  std::size_t i = 0, raw = 0, packed = 0;
  for (auto _ : state) {
    const std::string& message = compressed[i++ % compressed.size()];
    if (inflater.inflate(message, out, 1 << 20, !Takeover) !=
        wisp::protocol::Inflater::Result::Ok) {
      state.SkipWithError("inflate failed");
      break;
    }
    raw += out.size();
    packed += message.size();
  }
  report(state, raw, packed);
}
BENCHMARK(BM_Inflate<false>)->Name("BM_InflateJson1KiBNoContext");
BENCHMARK(BM_Inflate<true>)->Name("BM_InflateJson1KiBTakeover");

// ---------------------------------------------------------------------------------------------
// Frame parsing (protocol/reader.hpp): a read's worth of masked client frames, unmasked, UTF-8
// checked and delivered in place, as the server sees them.
// ---------------------------------------------------------------------------------------------

struct CountingSink {
  std::size_t messages = 0;
  bool on_message(wisp::OpCode, std::string_view payload, bool) {
    benchmark::DoNotOptimize(payload.data());
    ++messages;
    return true;
  }
  bool on_ping(std::string_view) { return true; }
  bool on_pong(std::string_view) { return true; }
  void on_close(int, std::string_view) {}
  void on_error(int, std::string_view) {}
};

// `count` masked text frames of `size` ASCII bytes each, back to back.
std::vector<std::uint8_t> client_frames(std::size_t size, std::size_t count) {
  std::vector<std::uint8_t> stream;
  const std::string payload(size, 'w');
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t header[wisp::protocol::max_frame_header_size];
    const std::size_t header_size =
        wisp::protocol::write_frame_header(header, {.opcode = wisp::OpCode::Text,
                                                    .payload_size = size,
                                                    .masked = true,
                                                    .mask_key = 0x3d21fa37});
    stream.insert(stream.end(), header, header + header_size);
    const std::size_t at = stream.size();
    stream.insert(stream.end(), payload.begin(), payload.end());
    wisp::protocol::apply_mask(stream.data() + at, size, 0x3d21fa37, 0);
  }
  return stream;
}

void BM_FrameParse(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t count = std::max<std::size_t>(1, (64 << 10) / (size + 8));
  const std::vector<std::uint8_t> frames = client_frames(size, count);
  std::vector<std::uint8_t> buffer(frames.size());
  CountingSink sink;
  for (auto _ : state) {
    state.PauseTiming();  // the reader unmasks in place: start each round from masked bytes
    buffer = frames;
    state.ResumeTiming();
    wisp::protocol::Reader reader;
    reader.consume(buffer.data(), buffer.size(), {}, sink);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frames.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
}
BENCHMARK(BM_FrameParse)->Arg(16)->Arg(125)->Arg(1 << 10)->Arg(16 << 10);

}  // namespace
