// The hub's JSON reader (of validated text) and writer against nlohmann's parse() and dump().
#include <gtest/gtest.h>

#include <string>

#include "events/envelope_writer.hpp"
#include "events/json_reader.hpp"

namespace wisp::events {
namespace {

// Equal, and of the same types throughout (nlohmann's == calls 7u and 7 equal).
bool same(const json& a, const json& b) {
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (!a.is_structured()) return a == b;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !same(*it, b.at(it.key()))) return false;
    }
    return true;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

const char* const samples[] = {"null",
                               "true",
                               "false",
                               "0",
                               "-0",
                               "7",
                               "-7",
                               "18446744073709551615",
                               "18446744073709551616",
                               "-9223372036854775808",
                               "-9223372036854775809",
                               "1.5",
                               "-2.5e-3",
                               "1E+2",
                               "1e-999",
                               "0.1",
                               R"("")",
                               R"("plain")",
                               R"("a\"b\\c\/d\b\f\n\r\t")",
                               R"("\u0000\u001f\u00e9\u20ac")",
                               R"("\ud83d\ude00 smile")",
                               "\"caf\xC3\xA9\"",
                               "[]",
                               "{}",
                               "[1,[2,[3,[]]],{}]",
                               R"({"b":1,"a":{"c":[true,null,"x"]},"a":2})",
                               "  { \"k\" : [ 1 , 2 ] }  ",
                               "\xEF\xBB\xBF{\"bom\":1}"};

TEST(JsonReader, ReadsWhatNlohmannParses) {
  for (const char* text : samples) {
    EXPECT_TRUE(same(read_valid_json(text), json::parse(text))) << text;
  }
}

TEST(JsonWriter, WritesWhatNlohmannDumps) {
  for (const char* text : samples) {
    const json value = json::parse(text);
    std::string out;
    append_json(out, value);
    EXPECT_EQ(out, value.dump()) << text;
  }
  std::string out;
  append_json(out, json{{"f", 1.0}, {"g", 1e300}, {"h", -0.25}});
  EXPECT_EQ(out, json({{"f", 1.0}, {"g", 1e300}, {"h", -0.25}}).dump());
}

TEST(JsonWriter, ReplacesInvalidUtf8AndWritesNonFiniteAsNull) {
  std::string out;
  append_json(out, json{{"bad", std::string("a\xFF"
                                            "b")},
                        {"inf", 1e308 * 10}});
  EXPECT_EQ(out,
            "{\"bad\":\"a\xEF\xBF\xBD"
            "b\",\"inf\":null}");
}

TEST(JsonCodec, AnyDepthWithoutRecursion) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const json value = read_valid_json(deep);
  std::string out;
  append_json(out, value);
  EXPECT_EQ(out, deep);
}

}  // namespace
}  // namespace wisp::events
