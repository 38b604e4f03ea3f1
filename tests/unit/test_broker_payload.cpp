// The payloads of the broker's commands: what is written reads back, and what arrives damaged
// (cut short, an endless number, a count larger than the bytes) is refused, never read past.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/payload.hpp"

namespace wisp::broker {
namespace {

TEST(BrokerPayload, WhatIsWrittenReadsBack) {
  const std::string bytes = PayloadWriter()
                                .text("client")
                                .number(0)
                                .number(300)
                                .number(~0ULL)
                                .text("")
                                .texts({"a", "bc", ""})
                                .take();
  PayloadReader in(bytes);
  EXPECT_EQ(in.text(), "client");
  EXPECT_EQ(in.number(), 0u);
  EXPECT_EQ(in.number(), 300u);
  EXPECT_EQ(in.number(), ~0ULL);
  EXPECT_EQ(in.text(), "");
  EXPECT_EQ(in.texts(), (std::vector<std::string>{"a", "bc", ""}));
  EXPECT_TRUE(in.done());
}

TEST(BrokerPayload, EveryCutShortPayloadIsRefused) {
  const std::string bytes = PayloadWriter().text("hello").number(1 << 20).texts({"x", "y"}).take();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    PayloadReader in(std::string_view(bytes).substr(0, size));
    in.text();
    in.number();
    in.texts();
    EXPECT_FALSE(in.ok()) << size;
  }
}

TEST(BrokerPayload, DamagedFieldsAreRefused) {
  const std::string ones(11, '\xff');  // a number that never ends
  PayloadReader endless(ones);
  EXPECT_EQ(endless.number(), 0u);
  EXPECT_FALSE(endless.ok());

  const std::string short_text = PayloadWriter().number(1000).take() + "short";
  PayloadReader too_long(short_text);
  EXPECT_EQ(too_long.text(), "");
  EXPECT_FALSE(too_long.ok());

  const std::string huge_count = PayloadWriter().number(1ULL << 40).take();
  PayloadReader too_many(huge_count);  // no allocation for it
  EXPECT_TRUE(too_many.texts().empty());
  EXPECT_FALSE(too_many.ok());

  const std::string extra = PayloadWriter().text("a").take() + "!";
  PayloadReader left_over(extra);
  EXPECT_EQ(left_over.text(), "a");
  EXPECT_TRUE(left_over.ok());
  EXPECT_FALSE(left_over.done());
}

}  // namespace
}  // namespace wisp::broker
