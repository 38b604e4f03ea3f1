// libFuzzer target for the permessage-deflate streams (protocol/deflate_stream.hpp).
//
// The first byte chooses the window size, context takeover and the mode; the second where the
// rest is cut into two messages.
//   Inflate mode: both messages are inflated as sent by a peer, under a 64 KiB cap. Invariants:
//   no crash or leak, `out` never holds more than the cap + 1 bytes, and after TooBig or Corrupt
//   the stream is fresh (a known message inflates right).
//   Round-trip mode: both messages are deflated and inflated back, and must come out unchanged;
//   with context takeover the second one must also survive on the same streams.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/deflate_stream.hpp"

namespace {

using wisp::protocol::Deflater;
using wisp::protocol::Inflater;

constexpr std::size_t kCap = 64 << 10;

// "Hello" as in RFC 7692 §7.2.3.1; it needs no context. (A string literal would stop at 0x00.)
constexpr char kHello[] = {'\xf2', '\x48', '\xcd', '\xc9', '\xc9', '\x07', '\x00'};

struct Setup {
  int window_bits;
  bool reset_after;
  bool round_trip;
  std::string_view first;
  std::string_view second;
};

Setup setup(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t cut = bytes.empty() ? 0 : data[1] % (bytes.size() + 1);
  return {.window_bits = 8 + (data[0] & 7),
          .reset_after = (data[0] & 8) != 0,
          .round_trip = (data[0] & 16) != 0,
          .first = bytes.substr(0, cut),
          .second = bytes.substr(cut)};
}

void check(bool ok) {
  if (!ok) std::abort();
}

void inflate_as_sent(const Setup& s) {
  Inflater inflater(s.window_bits);
  std::string out;
  for (const std::string_view message : {s.first, s.second}) {
    const Inflater::Result result = inflater.inflate(message, out, kCap, s.reset_after);
    check(out.size() <= kCap + 1);
    check(result != Inflater::Result::Ok || out.size() <= kCap);
    if (result != Inflater::Result::Ok) {
      // The stream must have been reset.
      check(inflater.inflate({kHello, sizeof(kHello)}, out, kCap, s.reset_after) ==
                Inflater::Result::Ok &&
            out == "Hello");
      return;
    }
  }
}

void round_trip(const Setup& s) {
  Deflater deflater(s.window_bits, 1 + s.window_bits % 9);
  Inflater inflater(s.window_bits);
  std::string compressed, out;
  for (const std::string_view message : {s.first, s.second}) {
    deflater.deflate(message, compressed, s.reset_after);
    check(inflater.inflate(compressed, out, message.size(), s.reset_after) == Inflater::Result::Ok);
    check(out == message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Setup s = setup(data, size);
  if (s.round_trip)
    round_trip(s);
  else
    inflate_as_sent(s);
  return 0;
}
