// The hub's own per-message path allocates nothing once warm: scanning, dispatch, the reply's
// envelope. Counted with a replacement operator new, per thread: the server's loop thread counts
// its own allocations, and a handler reports the count.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#include "hub_client.hpp"

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

TEST(HubAllocations, ARequestAnsweredWithoutDataAllocatesNothing) {
  HubServer server([](App&, Hub& hub) {
    hub.on("noop", [](Event&) {});  // with an id: answered {"type":"response","data":null,"id":N}
    hub.on("count", [](Event&) -> json { return allocations; });
  });
  HubClient client(server.port());
  const auto run = [&](int requests) {
    for (int i = 0; i < requests; ++i) {
      const json reply = client.request("noop", {{"ignored", "x"}}, i);
      ASSERT_EQ(reply["id"], i);
    }
  };
  run(100);  // warm-up: per-thread buffers, tables
  const auto before = client.request("count", nullptr, "a")["data"].get<std::uint64_t>();
  run(1000);
  const auto after = client.request("count", nullptr, "b")["data"].get<std::uint64_t>();
  EXPECT_EQ(after - before, 0u);
}

}  // namespace
}  // namespace wisp::test
