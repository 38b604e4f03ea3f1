// A warm session's receive and send allocate nothing: the coroutine's frame is made once per
// session, not per await. Counted with a replacement operator new, per thread: the session's
// loop thread counts its own allocations, and the session reports the count.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#include "coro_server.hpp"

namespace {
thread_local std::uint64_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* memory = std::malloc(size ? size : 1)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

namespace wisp::test {
namespace {

TEST(SessionAllocations, AWarmEchoAllocatesNothingPerMessage) {
  CoroServer server([](App& app) {
    app.ws_route("/echo", [](Session& s) -> Task<> {
      co_await s.accept();
      while (true) {
        const std::string_view text = co_await s.receive_text();
        if (text == "count") {
          const std::uint64_t now = allocations;  // read before the answer allocates
          co_await s.send_text(std::to_string(now));
        } else {
          co_await s.send_text(text);
        }
      }
    });
  });
  auto client = open_session(server.port(), "/echo");
  const std::string message(100, 'm');  // past any small-string buffer
  const auto run = [&](int messages) {
    for (int i = 0; i < messages; ++i) {
      client->send_frame(kTextFrame, message);
      ASSERT_EQ(next_text(*client), message);
    }
  };
  run(100);  // warm-up: the session's buffers reach their size
  client->send_frame(kTextFrame, "count");
  const auto before = std::stoull(next_text(*client));
  run(1000);
  client->send_frame(kTextFrame, "count");
  const auto after = std::stoull(next_text(*client));
  EXPECT_EQ(after - before, 0u);  // (a count fits std::string's small buffer)
}

}  // namespace
}  // namespace wisp::test
