#include "reference/redis/internal/send.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace cachelab::internal {
namespace {

// A context over one end of a connected socket pair; the other end is returned in `peer`.
redisContext* PairedContext(int& peer) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) != 0) return nullptr;
  peer = ends[1];
  return redisConnectFd(ends[0]);
}

class SendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // SIGPIPE's default action (end the process), as in a program that never touched it.
    ASSERT_NE(signal(SIGPIPE, SIG_DFL), SIG_ERR);
  }
};

TEST_F(SendTest, SendsEveryBufferedCommandAndEmptiesTheBuffer) {
  int peer = -1;
  redisContext* context = PairedContext(peer);
  ASSERT_NE(context, nullptr);
  const std::string large(1 << 20, 'x');  // more than one send's worth
  redisAppendCommand(context, "SET k %b", large.data(), large.size());
  redisAppendCommand(context, "GET k");
  const size_t buffered = sdslen(context->obuf);
  std::string received;
  std::thread reader([&] {
    char chunk[65536];
    while (received.size() < buffered) {
      const ssize_t n = read(peer, chunk, sizeof chunk);
      if (n <= 0) break;
      received.append(chunk, static_cast<size_t>(n));
    }
  });
  const int error = SendBuffered(context);
  reader.join();
  EXPECT_EQ(error, 0);
  EXPECT_EQ(sdslen(context->obuf), 0u);
  ASSERT_EQ(received.size(), buffered);
  const std::string last = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  EXPECT_EQ(received.substr(received.size() - last.size()), last);
  close(peer);
  redisFree(context);
}

TEST_F(SendTest, APeerThatIsGoneIsAnErrorNotASignal) {
  int peer = -1;
  redisContext* context = PairedContext(peer);
  ASSERT_NE(context, nullptr);
  close(peer);
  redisAppendCommand(context, "SET k v");
  EXPECT_EQ(SendBuffered(context), EPIPE);
  redisFree(context);
}

// Why SendBuffered exists: hiredis's own flush raises SIGPIPE in the same state.
TEST_F(SendTest, HiredisOwnWriteEndsTheProcessInTheSameState) {
  EXPECT_EXIT(
      {
        int peer = -1;
        redisContext* context = PairedContext(peer);
        close(peer);
        void* reply = nullptr;
        redisAppendCommand(context, "SET k v");
        redisGetReply(context, &reply);
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGPIPE), "");
}

}  // namespace
}  // namespace cachelab::internal
