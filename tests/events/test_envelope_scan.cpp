// The envelope scanner (events/envelope_scan.hpp) against nlohmann's own verdicts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "events/envelope_scan.hpp"

namespace wisp::events {
namespace {

using Status = EnvelopeScan::Status;

TEST(EnvelopeScan, FindsTypeIdAndDataAsRawText) {
  const auto scan = scan_envelope(R"( {"id": 7 , "data": {"a": [1, "}"]}, "type":"chat"} )");
  ASSERT_EQ(scan.status, Status::Ok);
  EXPECT_EQ(scan.type, "chat");
  EXPECT_FALSE(scan.type_escaped);
  EXPECT_EQ(scan.id, "7");
  EXPECT_EQ(scan.data, R"({"a": [1, "}"]})");
}

TEST(EnvelopeScan, AbsentIdAndDataAreEmptyAndNullIdGetsNoReplyId) {
  const auto scan = scan_envelope(R"({"type":"t"})");
  EXPECT_EQ(scan.status, Status::Ok);
  EXPECT_TRUE(scan.id.empty());
  EXPECT_TRUE(scan.data.empty());
  EXPECT_TRUE(scan_envelope(R"({"type":"t","id":null})").reply_id().empty());
}

TEST(EnvelopeScan, TheLastOfRepeatedKeysCountsAndEscapedKeysAreDecoded) {
  const auto scan = scan_envelope(R"({"type":"a","type":"b","typ\u0065":"c","\u0069d":2})");
  EXPECT_EQ(scan.type, "c");
  EXPECT_EQ(scan.id, "2");
  const auto escaped = scan_envelope(R"({"type":"a\"b"})");
  EXPECT_TRUE(escaped.type_escaped);
}

TEST(EnvelopeScan, Classifies) {
  EXPECT_EQ(scan_envelope("[1]").status, Status::NotObject);
  EXPECT_EQ(scan_envelope("  12 ").status, Status::NotObject);
  EXPECT_EQ(scan_envelope(R"({"type":1,"id":4})").status, Status::MissingType);
  EXPECT_EQ(scan_envelope(R"({"type":1,"id":4})").id, "4");
  EXPECT_EQ(scan_envelope("{}").status, Status::MissingType);
  EXPECT_EQ(scan_envelope("\xEF\xBB\xBF{\"type\":\"t\"}").status, Status::Ok);
}

// Each of these is judged as nlohmann judges it.
TEST(EnvelopeScan, AgreesWithNlohmannOnValidity) {
  const std::string inputs[] = {"",
                                " ",
                                "{",
                                "}",
                                "{}",
                                "{,}",
                                R"({"a"})",
                                R"({"a":})",
                                R"({"a":1,})",
                                "[1,]",
                                "[,1]",
                                "[]",
                                "[[[]]]",
                                "[[[]]",
                                "01",
                                "-0",
                                "-",
                                "1.",
                                "1.5e",
                                "1e+5",
                                "1E-5",
                                "0.1",
                                "-01",
                                "1e999",
                                "-1e999",
                                "1e-999",
                                std::string(400, '9'),
                                "tru",
                                "true",
                                "nul",
                                "null",
                                "falsey",
                                R"("\u12")",
                                R"("\ud800")",
                                R"("\ud800\udc00")",
                                R"("\udc00")",
                                R"("\ud800\u0041")",
                                R"("\x")",
                                "\"a\tb\"",
                                R"("\/\b\f\n\r\t\\\"")",
                                "\"\x01\"",
                                "{\"a\":1}{",
                                "{\"a\":1} ",
                                R"({"type":"t","data":[1,{"b":[true,false,null]}]})",
                                "[1 2]",
                                "{\"a\" 1}",
                                "{1:2}"};
  for (const std::string& input : inputs) {
    const bool ours = scan_envelope(input).status != Status::InvalidJson;
    EXPECT_EQ(ours, nlohmann::json::accept(input)) << "input: " << input;
  }
}

TEST(EnvelopeScan, DeepNestingNeedsNoRecursion) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(scan_envelope(deep).status, Status::NotObject);
  EXPECT_EQ(scan_envelope(deep.substr(1)).status, Status::InvalidJson);
  const std::string in_data = "{\"type\":\"t\",\"data\":" + deep + "}";
  EXPECT_EQ(scan_envelope(in_data).status, Status::Ok);
}

}  // namespace
}  // namespace wisp::events
