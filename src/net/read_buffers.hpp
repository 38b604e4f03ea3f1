// The loop's read buffer, and the few it keeps for handlers that hold views into a read past it.
//
// A read's bytes are valid until the loop's next read, which reuses the buffer. A handler that
// must keep what one read holds (a coroutine session's message, valid until its next receive,
// when the coroutine went on waiting for something else) would copy it; instead it may keep the
// whole buffer: the loop then reads into another one, and the kept one comes back for reuse when
// let go. At most max_kept are kept at once (past that, handlers copy), and buffers are made only
// when none is spare: a warm loop allocates nothing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace wisp::net {

class ReadBuffers {
 public:
  static constexpr std::size_t size = 512 * 1024;
  static constexpr std::size_t max_kept = 4;

  ReadBuffers() : current_(make()) {
    kept_.reserve(max_kept);
    spare_.reserve(max_kept);
  }

  // Where the next read goes.
  std::uint8_t* current() { return current_.get(); }
  // True if `bytes` lie in the buffer of the read under way.
  bool holds(const void* bytes) const {
    const auto at = reinterpret_cast<std::uintptr_t>(bytes);
    const auto begin = reinterpret_cast<std::uintptr_t>(current_.get());
    return at - begin < size;
  }
  bool can_keep() const { return kept_.size() < max_kept; }
  // Keeps the buffer of the read under way (can_keep() first) until release(); later reads go
  // to another one. Its bytes stay where they are.
  std::uint8_t* keep() {
    kept_.push_back(std::move(current_));
    if (spare_.empty()) {
      current_ = make();
    } else {
      current_ = std::move(spare_.back());
      spare_.pop_back();
    }
    return kept_.back().get();
  }
  void release(std::uint8_t* buffer) {
    const auto it = std::find_if(kept_.begin(), kept_.end(),
                                 [buffer](const auto& kept) { return kept.get() == buffer; });
    if (it == kept_.end()) return;
    spare_.push_back(std::move(*it));
    kept_.erase(it);
  }
  std::size_t kept() const { return kept_.size(); }

 private:
  static std::unique_ptr<std::uint8_t[]> make() {
    return std::make_unique_for_overwrite<std::uint8_t[]>(size);
  }

  std::unique_ptr<std::uint8_t[]> current_;
  std::vector<std::unique_ptr<std::uint8_t[]>> kept_;
  std::vector<std::unique_ptr<std::uint8_t[]>> spare_;
};

}  // namespace wisp::net
