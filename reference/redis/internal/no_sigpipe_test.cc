#include "reference/redis/internal/no_sigpipe.h"

#include <errno.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace cachelab::internal {
namespace {

bool SigpipeBlocked() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

bool SigpipePending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

// Writes one byte into a pipe whose read end is closed: EPIPE, and SIGPIPE unless guarded.
int WriteToAClosedPipe() {
  int ends[2];
  if (pipe(ends) != 0) return -1;
  close(ends[0]);
  const ssize_t written = write(ends[1], "x", 1);
  const int error = written < 0 ? errno : 0;
  close(ends[1]);
  return error;
}

class NoSigpipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The default action (end the process), as in a program that never touched SIGPIPE.
    ASSERT_NE(signal(SIGPIPE, SIG_DFL), SIG_ERR);
    ASSERT_FALSE(SigpipeBlocked());
    ASSERT_FALSE(SigpipePending());
  }
};

TEST_F(NoSigpipeTest, AWriteToAClosedPipeFailsWithEpipeAndTheProcessLives) {
  {
    NoSigpipe guard;
    EXPECT_EQ(WriteToAClosedPipe(), EPIPE);
  }
  EXPECT_FALSE(SigpipePending()) << "the guard must take back the SIGPIPE the write raised";
  EXPECT_FALSE(SigpipeBlocked()) << "the guard must restore the thread's signal mask";
}

TEST_F(NoSigpipeTest, WithoutTheGuardTheSameWriteEndsTheProcess) {
  EXPECT_EXIT(WriteToAClosedPipe(), ::testing::KilledBySignal(SIGPIPE), "");
}

TEST_F(NoSigpipeTest, ASigpipePendingBeforeTheGuardStaysPending) {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr), 0);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGPIPE), 0);
  {
    NoSigpipe guard;
    EXPECT_EQ(WriteToAClosedPipe(), EPIPE);
  }
  EXPECT_TRUE(SigpipeBlocked()) << "the mask from before the guard is restored";
  EXPECT_TRUE(SigpipePending()) << "someone else's SIGPIPE is not the guard's to take";
  const timespec now = {0, 0};
  EXPECT_EQ(sigtimedwait(&pipe_set, nullptr, &now), SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &pipe_set, nullptr), 0);
}

TEST_F(NoSigpipeTest, GuardsNest) {
  {
    NoSigpipe outer;
    {
      NoSigpipe inner;
      EXPECT_EQ(WriteToAClosedPipe(), EPIPE);
    }
    EXPECT_TRUE(SigpipeBlocked()) << "the inner guard restores the outer guard's mask";
    EXPECT_EQ(WriteToAClosedPipe(), EPIPE);
  }
  EXPECT_FALSE(SigpipePending());
  EXPECT_FALSE(SigpipeBlocked());
}

}  // namespace
}  // namespace cachelab::internal
