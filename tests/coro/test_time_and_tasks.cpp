// Time and concurrency in coroutines: sleep, timeouts (and the cancellation they do), spawn,
// channels, offload, startup hooks.
#include <gtest/gtest.h>

#include <thread>

#include "coro_server.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

TEST(Timeouts, AReceiveThatTimesOutLeavesTheSessionUsable) {
  CoroServer server([](App& app) {
    app.ws_route("/heartbeat", [](Session& s) -> Task<> {
      co_await s.accept();
      int timeouts = 0;
      while (timeouts < 2) {  // the client sends nothing until it gets the ping
        try {
          co_await s.receive_text(20ms);
        } catch (const Timeout&) {
          ++timeouts;
        }
      }
      co_await s.send_text("ping");
      const std::string answer(co_await s.receive_text());  // the timed-out receives withdrew
      co_await s.send_text(answer + " after " + std::to_string(timeouts));
    });
  });
  auto client = open_session(server.port(), "/heartbeat");
  EXPECT_EQ(next_text(*client), "ping");
  client->send_frame(kTextFrame, "pong");
  EXPECT_EQ(next_text(*client), "pong after 2");
}

TEST(Timeouts, WithTimeoutCancelsATaskAndPassesAResult) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.spawn([](Awaited<std::string>& seen) -> Task<> {
      std::string log;
      bool cancelled_ran_on = false;
      auto slow = [&]() -> Task<int> {
        co_await sleep(10s);
        cancelled_ran_on = true;
        co_return 1;
      };
      try {
        co_await with_timeout(20ms, slow());
      } catch (const Timeout&) {
        log += "timeout;";
      }
      auto quick = []() -> Task<int> {
        co_await sleep(1ms);
        co_return 7;
      };
      log += std::to_string(co_await with_timeout(10s, quick())) + ";";
      auto failing = []() -> Task<int> {
        co_await sleep(1ms);
        throw std::runtime_error("inner");
      };
      try {
        co_await with_timeout(10s, failing());
      } catch (const std::runtime_error& error) {
        log += error.what();
      }
      if (cancelled_ran_on) log += ";the cancelled task went on";
      seen.set(log);
    }(seen));
  });
  EXPECT_EQ(seen.get(), "timeout;7;inner");
}

TEST(Timeouts, ASessionThatSleepsHearsOfTheDisconnectAtItsNextSend) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.ws_route("/ticks", [&](Session& s) -> Task<> {
      co_await s.accept();
      try {
        while (true) {
          co_await s.send_text("tick");
          co_await sleep(10ms);
        }
      } catch (const Disconnected& gone) {
        seen.set(std::to_string(gone.code()) + " " + gone.reason());
      }
    });
  });
  auto client = open_session(server.port(), "/ticks");
  EXPECT_EQ(next_text(*client), "tick");
  client->send_frame(0x8, close_body(4001, "enough"));
  EXPECT_EQ(seen.get(), "4001 enough");
}

TEST(Timeouts, ASendWaitingForTheClientCanTimeOut) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.ws_route("/flood", [&](Session& s) -> Task<> {
      co_await s.accept();
      const std::string chunk(8192, 'z');
      try {
        while (true) co_await with_timeout(50ms, s.send_bytes(chunk));
      } catch (const Timeout&) {
        seen.set(s.closed() ? "closed" : "timed out, still open");
      }
    });
  });
  auto client = open_session(server.port(), "/flood");  // reads nothing: the sends wait
  EXPECT_EQ(seen.get(), "timed out, still open");
}

TEST(Spawn, TasksRunOnTheLoopAndAFailureDoesNotStopTheApp) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.spawn([]() -> Task<> {
      co_await sleep(std::chrono::milliseconds(0));
      throw std::runtime_error("a spawned failure");
    }());
    app.on_startup([&]() -> Task<> {
      co_await sleep(1ms);
      // spawned from a loop thread: the same loop
      const auto started_on = std::this_thread::get_id();
      app.spawn([](Awaited<std::string>& seen, std::thread::id parent) -> Task<> {
        co_await sleep(1ms);
        seen.set(std::this_thread::get_id() == parent ? "same loop" : "another thread");
      }(seen, started_on));
    });
  });
  EXPECT_EQ(seen.get(), "same loop");
}

TEST(Offload, ResumesWithTheWorkersResultOnTheLoop) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.on_startup([&]() -> Task<> {
      const auto loop = std::this_thread::get_id();
      std::thread::id worker;
      const int value = co_await app.offload([&worker] {
        worker = std::this_thread::get_id();
        return 6 * 7;
      });
      std::string log = std::to_string(value);
      log += worker != loop && std::this_thread::get_id() == loop ? " worker, back" : " wrong";
      try {
        co_await app.offload([] { throw std::runtime_error(" thrown"); });
      } catch (const std::runtime_error& error) {
        log += error.what();
      }
      seen.set(log);
    });
  });
  EXPECT_EQ(seen.get(), "42 worker, back thrown");
}

TEST(Channels, WaitForRoomAndForValues) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.on_startup([&]() -> Task<> {
      auto channel = std::make_shared<Channel<int>>(2);
      std::string log;
      app.spawn([](std::shared_ptr<Channel<int>> channel, std::string& log) -> Task<> {
        for (int i = 1; i <= 5; ++i) {
          co_await channel->send(i);  // waits while two are in
          log += "s" + std::to_string(i) + " ";
        }
        channel->close();
      }(channel, log));
      int sum = 0;
      try {
        while (true) {
          const int value = co_await channel->receive();
          log += "r" + std::to_string(value) + " ";
          sum += value;
          EXPECT_LE(channel->size(), 2u);
        }
      } catch (const ChannelClosed&) {
      }
      log += "sum " + std::to_string(sum);
      EXPECT_FALSE(channel->try_send(9));
      seen.set(std::to_string(channel->dropped()) + " dropped; " + log.substr(log.find("sum")));
    });
  });
  EXPECT_EQ(seen.get(), "0 dropped; sum 15");
}

TEST(Channels, DropOldestKeepsTheNewestAndCountsTheRest) {
  Awaited<std::string> seen;
  CoroServer server([&](App& app) {
    app.on_startup([&]() -> Task<> {
      Channel<std::string> queue(3, Overflow::DropOldest);
      for (int i = 1; i <= 5; ++i) co_await queue.send(std::to_string(i));  // never waits
      std::string kept;
      while (queue.size() > 0) kept += co_await queue.receive();
      seen.set(kept + " dropped " + std::to_string(queue.dropped()));
    });
  });
  EXPECT_EQ(seen.get(), "345 dropped 2");
}

TEST(Channels, AProducerAndAConsumerCoroutinePerSession) {
  // seed 003's MessageQueue: messages received go through a queue to a processor coroutine.
  CoroServer server([](App& app) {
    app.ws_route("/queued", [&app](Session& s) -> Task<> {
      co_await s.accept();
      auto queue = std::make_shared<Channel<json>>(1000, Overflow::DropOldest);
      auto session = &s;
      app.spawn([](Session& s, std::shared_ptr<Channel<json>> queue) -> Task<> {
        try {
          while (true) {
            const json message = co_await queue->receive();
            co_await s.send_json(message);
          }
        } catch (const ChannelClosed&) {
        }
      }(*session, queue));
      try {
        while (true) co_await queue->send(co_await s.receive_json());
      } catch (const Disconnected&) {
      }
      queue->close();
    });
  });
  auto client = open_session(server.port(), "/queued");
  for (int i = 0; i < 10; ++i) client->send_frame(kTextFrame, json{{"n", i}}.dump());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(json::parse(next_text(*client))["n"], i);
}

}  // namespace
}  // namespace wisp::test
