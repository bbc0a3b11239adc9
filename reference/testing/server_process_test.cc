#include "reference/testing/server_process.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace cachelab::testing {
namespace {

constexpr char kRangeFile[] = "/proc/sys/net/ipv4/ip_local_port_range";

std::string TempFile(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(FreeLoopbackPortTest, PicksFreePortsBelowTheEphemeralRange) {
  const auto [first, last] = EphemeralPortRange(kRangeFile);
  ASSERT_GE(first - 10000, 1000) << "this machine's ephemeral range leaves no room below it";
  for (int i = 0; i < 50; ++i) {
    auto port = FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_GE(*port, 10000);
    EXPECT_LT(*port, first) << "an ephemeral port can be taken by any outgoing connection";
    EXPECT_EQ(BindLoopback(*port), *port) << "not free";
  }
}

TEST(FreeLoopbackPortTest, PicksDifferentPortsAtRandom) {
  auto a = FreeLoopbackPort(), b = FreeLoopbackPort(), c = FreeLoopbackPort();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_FALSE(*a == *b && *b == *c) << "three picks gave the same port " << *a;
}

TEST(EphemeralPortRangeTest, ReadsTheKernelsFormat) {
  EXPECT_EQ(EphemeralPortRange(TempFile("range", "40000\t50000\n")), std::make_pair(40000, 50000));
}

TEST(EphemeralPortRangeTest, FallsBackToLinuxDefaultWhenUnreadable) {
  const std::pair<int, int> linux_default(32768, 60999);
  EXPECT_EQ(EphemeralPortRange(TempFile("missing-dir/none", "")), linux_default);
  EXPECT_EQ(EphemeralPortRange(TempFile("garbage", "ports\n")), linux_default);
  EXPECT_EQ(EphemeralPortRange(TempFile("reversed", "50000 40000\n")), linux_default);
}

}  // namespace
}  // namespace cachelab::testing
