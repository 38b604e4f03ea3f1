#include "protocol/deflate_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <utility>

#include "protocol/utf8.hpp"
#include "wisp/opcode.hpp"

namespace wisp::protocol {
namespace detail {

// zlib allocates through these so that memory() can tell what a stream costs. Each block is
// prefixed with its size (one max_align_t, keeping zlib's blocks aligned).
struct ZStream {
  z_stream z{};
  std::size_t bytes = 0;

  ZStream() {
    z.zalloc = &allocate;
    z.zfree = &release;
    z.opaque = this;
  }

  static voidpf allocate(voidpf opaque, uInt items, uInt size) {
    const std::size_t n = std::size_t{items} * size;
    auto* block = static_cast<std::max_align_t*>(std::malloc(sizeof(std::max_align_t) + n));
    if (!block) return Z_NULL;
    *reinterpret_cast<std::size_t*>(block) = n;
    static_cast<ZStream*>(opaque)->bytes += n;
    return block + 1;
  }

  static void release(voidpf opaque, voidpf address) {
    auto* block = static_cast<std::max_align_t*>(address) - 1;
    static_cast<ZStream*>(opaque)->bytes -= *reinterpret_cast<std::size_t*>(block);
    std::free(block);
  }
};

}  // namespace detail

namespace {

// The end of an empty stored block, implied at the end of every message (§7.2.1, §7.2.2).
constexpr char kTail[4] = {'\x00', '\x00', '\xff', '\xff'};

// zlib counts bytes in 32 bits: input and output are handed over at most this much at a time.
constexpr std::size_t kMaxStep = std::size_t{1} << 30;

// First output piece of an inflate, before doubling: most messages fit in one.
constexpr std::size_t kFirstInflateStep = 4096;

int checked_window_bits(int bits) {
  if (bits < 8 || bits > 15) throw std::invalid_argument("window bits must be 8-15");
  return bits;
}

void check_init(int rc) {
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc != Z_OK) throw std::invalid_argument("zlib refused the stream parameters");
}

Bytef* bytes(const char* p) { return reinterpret_cast<Bytef*>(const_cast<char*>(p)); }

// Gives zlib `step` more bytes at the end of `out` (whose every byte zlib filled) to write into.
void extend_output(z_stream& z, std::string& out, std::size_t step) {
  const std::size_t produced = out.size();
  step = std::min(step, kMaxStep);
  out.resize(produced + step);
  z.next_out = bytes(out.data() + produced);
  z.avail_out = static_cast<uInt>(step);
}

}  // namespace

// ---- Inflater ----------------------------------------------------------------------------------

Inflater::Inflater(int window_bits) : z_(std::make_unique<detail::ZStream>()) {
  // A peer told to use 8 bits that deflates with zlib really uses 9 (zlib >= 1.2.9 refuses raw
  // windowBits 8; Node's zlib and Python's websockets raise it to 9). Reading with 9 accepts
  // both, for 256 more bytes.
  check_init(inflateInit2(&z_->z, -std::max(checked_window_bits(window_bits), 9)));
}

Inflater::~Inflater() {
  if (z_) inflateEnd(&z_->z);
}

Inflater::Inflater(Inflater&&) noexcept = default;

// Swapping leaves `other` to end this object's stream; self-assignment is harmless.
Inflater& Inflater::operator=(Inflater&& other) noexcept {
  std::swap(z_, other.z_);
  return *this;
}

std::size_t Inflater::memory() const { return z_ ? z_->bytes : 0; }

Inflater::Result Inflater::inflate(std::string_view compressed, std::string& out,
                                   std::size_t max_size, bool reset_after) {
  z_stream& z = z_->z;
  out.clear();
  z.avail_out = 0;
  std::optional<Result> result;
  if (compressed.size() > UINT_MAX) {
    result = Result::TooBig;  // no sane max_size allows a 4 GiB compressed message
  } else {
    // The tail is fed as a second piece rather than appended to a copy of the message.
    result = feed(compressed, false, out, max_size);
    if (!result) result = feed({kTail, sizeof(kTail)}, true, out, max_size);
    // All input read and no final block: the data must end between blocks, not inside one.
    if (!result) result = (z.data_type & 128) ? Result::Ok : Result::Corrupt;
  }
  out.resize(out.size() - z.avail_out);
  if (*result != Result::Ok || reset_after) inflateReset(&z);
  return *result;
}

// Inflates `in`; nullopt when all of it was read and the message goes on.
std::optional<Inflater::Result> Inflater::feed(std::string_view in, bool tail, std::string& out,
                                               std::size_t max_size) {
  z_stream& z = z_->z;
  z.next_in = bytes(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  // The output window never passes max_size + 1 bytes: one byte too many tells TooBig.
  const std::size_t limit = max_size == SIZE_MAX ? max_size : max_size + 1;
  for (;;) {
    if (z.avail_out == 0) {
      const std::size_t step =
          out.empty() ? std::max(kFirstInflateStep, 4 * in.size()) : out.size();
      extend_output(z, out, std::min(step, limit - out.size()));
    }
    const int rc = ::inflate(&z, Z_SYNC_FLUSH);
    if (out.size() - z.avail_out > max_size) return Result::TooBig;
    if (rc == Z_STREAM_END) {
      restart_keeping_window();
      // Bytes left in the message are more blocks; left in the tail, they are not needed.
      if (tail || z.avail_in == 0) return Result::Ok;
    } else if (rc == Z_MEM_ERROR) {
      throw std::bad_alloc();
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Result::Corrupt;
    } else if (z.avail_in == 0 && z.avail_out != 0) {
      return std::nullopt;
    }
  }
}

// A final block (BFINAL=1) ends zlib's stream but not the peer's: §7.2.3.4's own example has a
// block after one, and with context takeover later messages still refer to its window. zlib
// reads on only after a reset, which forgets the window, so the window is carried over.
void Inflater::restart_keeping_window() {
  z_stream& z = z_->z;
  const auto window = std::make_unique<Bytef[]>(std::size_t{1} << 15);
  uInt size = 0;
  inflateGetDictionary(&z, window.get(), &size);
  inflateReset(&z);
  inflateSetDictionary(&z, window.get(), size);
}

// ---- Deflater ----------------------------------------------------------------------------------

Deflater::Deflater(int window_bits, int mem_level, int level)
    : z_(std::make_unique<detail::ZStream>()) {
  // zlib >= 1.2.9 refuses raw windowBits 8 (its 256-byte window was buggy). A window of 8 bits
  // is honored instead with Huffman-only coding on a 9-bit window: no back-references at all, so
  // none reaches past 256 bytes. Compression is weaker, but server_max_window_bits=8 offers (in
  // the Autobahn suite, for one) are accepted rather than declined.
  const bool huffman_only = checked_window_bits(window_bits) == 8;
  check_init(deflateInit2(&z_->z, level, Z_DEFLATED, huffman_only ? -9 : -window_bits, mem_level,
                          huffman_only ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY));
}

Deflater::~Deflater() {
  if (z_) deflateEnd(&z_->z);
}

Deflater::Deflater(Deflater&&) noexcept = default;

Deflater& Deflater::operator=(Deflater&& other) noexcept {
  std::swap(z_, other.z_);  // as for Inflater
  return *this;
}

std::size_t Deflater::memory() const { return z_ ? z_->bytes : 0; }

void Deflater::deflate(std::string_view message, std::string& out, bool reset_after) {
  out.clear();
  if (message.empty()) {
    // One 0x00 byte, an empty stored block's header that the receiver's tail completes, is a
    // valid empty message (§7.2.3.6). zlib would answer a second flush in a row with no output.
    out.push_back('\0');
  } else {
    compress(message, out);
  }
  if (reset_after) deflateReset(&z_->z);
}

void Deflater::compress(std::string_view message, std::string& out) {
  z_stream& z = z_->z;
  z.avail_in = 0;
  z.avail_out = 0;
  // deflateBound() covers the whole message; a sync flush adds at most an empty stored block.
  extend_output(z, out, deflateBound(&z, message.size()) + 8);
  for (;;) {
    if (z.avail_in == 0) {
      const std::size_t n = std::min(message.size(), kMaxStep);
      z.next_in = bytes(message.data());
      z.avail_in = static_cast<uInt>(n);
      message.remove_prefix(n);
    }
    if (z.avail_out == 0) extend_output(z, out, out.size());
    const bool last = message.empty();
    ::deflate(&z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);  // fails only on a corrupt z_stream
    if (last && z.avail_in == 0 && z.avail_out != 0) break;
  }
  // The flush ended the output with 00 00 ff ff, which the receiver puts back (§7.2.1).
  out.resize(out.size() - z.avail_out - sizeof(kTail));
}

InflateVerdict judge_inflated(Inflater::Result result, bool text, std::string_view message) {
  if (result == Inflater::Result::TooBig) return {close_code::message_too_big, "message too big"};
  if (result == Inflater::Result::Corrupt) {
    return {close_code::protocol_error, "invalid compressed data"};
  }
  if (text && !is_valid_utf8(message))
    return {close_code::invalid_payload, "invalid UTF-8 in text"};
  return {};
}

}  // namespace wisp::protocol
