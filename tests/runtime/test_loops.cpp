// App::run when a loop cannot be made: with no file descriptor left for a loop's epoll, run()
// throws that std::system_error (EMFILE) once every loop thread ended, instead of hanging in the
// loops' start-up (the loops that were made wait there for all of them) or terminating. Each case
// runs in a child process (its descriptor limit lowered there, an alarm bounding a hang) and
// reports how run() ended through its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

enum Outcome { threw_emfile = 10, returned = 11, threw_other = 12, could_not_limit = 13 };

bool set_descriptor_limit(rlim_t limit) {
  rlimit now{};
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) return false;
  now.rlim_cur = limit;
  return setrlimit(RLIMIT_NOFILE, &now) == 0;
}

// Leaves exactly `spare` descriptors free: every gap below the highest open one is filled first.
bool leave_descriptors(int spare) {
  int highest = 2;
  for (int fd = 3; fd < 4096; ++fd)
    if (fcntl(fd, F_GETFD) != -1) highest = fd;
  if (!set_descriptor_limit(static_cast<rlim_t>(highest) + 1)) return false;
  while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0) {
  }
  return errno == EMFILE && set_descriptor_limit(static_cast<rlim_t>(highest) + 1 + spare);
}

// One App run and stopped with descriptors to spare: under UBSan, its vptr checks need a pipe for
// a type they meet first, and remember the types they checked; with none left they would fail.
void run_once(unsigned threads) {
  App app({.threads = threads});
  app.listen("127.0.0.1", 0);
  app.after(std::chrono::milliseconds(0), [&app] { app.stop(); });
  app.run();
  try {
    throw std::system_error(EMFILE, std::generic_category());  // what the real run() will throw
  } catch (const std::system_error& error) {
    (void)error.code();
  }
}

[[noreturn]] void run_with_spare_descriptors(unsigned threads, int spare) {
  alarm(10);  // a hang dies of SIGALRM
  run_once(threads);
  App app({.threads = threads});
  app.listen("127.0.0.1", 0);
  if (!leave_descriptors(spare)) _exit(could_not_limit);
  try {
    app.run();
  } catch (const std::system_error& error) {
    _exit(error.code().value() == EMFILE ? threw_emfile : threw_other);
  } catch (...) {
    _exit(threw_other);
  }
  _exit(returned);
}

// How the child ended: its exit status, or 128 + the signal that ended it.
int outcome(unsigned threads, int spare) {
  const pid_t child = fork();
  if (child == 0) run_with_spare_descriptors(threads, spare);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(Loops, RunThrowsWhenNoLoopCanBeMade) {
  EXPECT_EQ(outcome(1, 0), threw_emfile) << "128 + 14: run() hung (SIGALRM); 134: terminated";
  EXPECT_EQ(outcome(3, 0), threw_emfile);
}

// Descriptors for one loop: one is made and waits for the others, which cannot be made.
TEST(Loops, RunThrowsWhenSomeLoopsCannotBeMadeAndTheOthersWaitForThem) {
  EXPECT_EQ(outcome(4, 2), threw_emfile) << "128 + 14: run() hung (SIGALRM); 134: terminated";
}

}  // namespace
}  // namespace wisp::test
