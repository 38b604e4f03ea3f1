// RedisOptions::url: every form the settings document, and what is refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "broker/redis_url.hpp"

namespace wisp::broker {
namespace {

TEST(RedisUrl, HostAlone) {
  auto endpoint = parse_redis_url("redis://cache.internal");
  EXPECT_EQ(endpoint.host, "cache.internal");
  EXPECT_EQ(endpoint.port, 6379);
  EXPECT_EQ(endpoint.db, 0u);
  EXPECT_EQ(endpoint.user, "");
  EXPECT_EQ(endpoint.password, "");
  EXPECT_EQ(endpoint.unix_path, "");
}

TEST(RedisUrl, PortAndDb) {
  auto endpoint = parse_redis_url("redis://127.0.0.1:6380/4");
  EXPECT_EQ(endpoint.host, "127.0.0.1");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.db, 4u);
  EXPECT_EQ(parse_redis_url("redis://h/").db, 0u);
}

TEST(RedisUrl, PasswordAloneAndUserWithPassword) {
  auto password = parse_redis_url("redis://:s3cret@h:1");
  EXPECT_EQ(password.user, "");
  EXPECT_EQ(password.password, "s3cret");
  auto bare = parse_redis_url("redis://s3cret@h");
  EXPECT_EQ(bare.user, "");
  EXPECT_EQ(bare.password, "s3cret");
  auto user = parse_redis_url("redis://app:pw@h:2/1");
  EXPECT_EQ(user.user, "app");
  EXPECT_EQ(user.password, "pw");
  EXPECT_EQ(user.host, "h");
  EXPECT_EQ(user.port, 2);
  EXPECT_EQ(user.db, 1u);
}

TEST(RedisUrl, PercentEncodedCredentialsMayHoldAtAndColon) {
  auto endpoint = parse_redis_url("redis://a%40b:p%3Aw%25@h");
  EXPECT_EQ(endpoint.user, "a@b");
  EXPECT_EQ(endpoint.password, "p:w%");
  // The last @ ends the credentials, so a raw @ in a password works too.
  EXPECT_EQ(parse_redis_url("redis://:p@ss@h").password, "p@ss");
}

TEST(RedisUrl, Ipv6Host) {
  auto endpoint = parse_redis_url("redis://[::1]:7000/2");
  EXPECT_EQ(endpoint.host, "::1");
  EXPECT_EQ(endpoint.port, 7000);
  EXPECT_EQ(endpoint.db, 2u);
  EXPECT_EQ(parse_redis_url("redis://[::1]").port, 6379);
}

TEST(RedisUrl, UnixSocket) {
  auto endpoint = parse_redis_url("unix:///run/redis/redis.sock");
  EXPECT_EQ(endpoint.unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(endpoint.host, "");
  EXPECT_EQ(endpoint.db, 0u);
  EXPECT_EQ(parse_redis_url("unix:///tmp/r.sock?db=5").db, 5u);
}

TEST(RedisUrl, BadUrlsAreRefused) {
  for (const char* url : {"",
                          "http://h",
                          "redis:/h",
                          "redis://",
                          "redis://:pw@",
                          "redis://h:",
                          "redis://h:0",
                          "redis://h:65536",
                          "redis://h:12x",
                          "redis://h/x",
                          "redis://h/-1",
                          "redis://[::1",
                          "redis://[::1]x",
                          "redis://%zz@h",
                          "redis://:%4@h",
                          "unix://",
                          "unix://relative.sock",
                          "unix:///s?db=",
                          "unix:///s?db=a",
                          "unix:///s?user=x"}) {
    EXPECT_THROW(parse_redis_url(url), std::invalid_argument) << url;
  }
}

TEST(RedisUrl, TheErrorNamesTheUrl) {
  try {
    parse_redis_url("redis://h:99999");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("redis://h:99999"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("port"), std::string::npos);
  }
}

}  // namespace
}  // namespace wisp::broker
