#include "common/ids.h"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>
#include <vector>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(IdsTest)

BOOST_AUTO_TEST_CASE(IdsArePrefixedRandomAndValid) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId("acct");
    BOOST_TEST(IsValidId(id, "acct"));
    seen.insert(id);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(RejectsOtherShapes) {
  BOOST_TEST(!IsValidId(NewId("key"), "acct"));
  BOOST_TEST(!IsValidId("acct_short", "acct"));
  BOOST_TEST(!IsValidId("acct_AAAAAAAAAAAAAAAAAAAA", "acct"));
  BOOST_TEST(!IsValidId("acct-aaaaaaaaaaaaaaaaaaaa", "acct"));
}

// Draws that straddle the 1 KB buffer and come from several threads never
// repeat a 16-byte value.
BOOST_AUTO_TEST_CASE(PublicRandomBytesNeverRepeatAcrossRefillsAndThreads) {
  std::vector<std::string> drawn[2];
  auto draw = [](std::vector<std::string>* out) {
    for (int i = 0; i < 1000; ++i) {
      uint8_t b[16];
      PublicRandomBytes(b, (i % 7 == 0) ? 5 : 16);  // odd sizes shift the offsets
      if (i % 7 != 0) out->emplace_back(reinterpret_cast<char*>(b), 16);
    }
  };
  std::thread a(draw, &drawn[0]), b(draw, &drawn[1]);
  a.join();
  b.join();
  std::set<std::string> seen(drawn[0].begin(), drawn[0].end());
  seen.insert(drawn[1].begin(), drawn[1].end());
  BOOST_TEST(seen.size() == drawn[0].size() + drawn[1].size());
  uint8_t big[3000];  // larger than the buffer
  PublicRandomBytes(big, sizeof(big));
  BOOST_TEST(std::string(reinterpret_cast<char*>(big), 1024) !=
             std::string(reinterpret_cast<char*>(big) + 1024, 1024));
}

// A forked child must not hand out what its parent is about to.
BOOST_AUTO_TEST_CASE(ForkedChildDrawsDifferentBytes) {
  uint8_t warm[1];
  PublicRandomBytes(warm, 1);  // the buffer is full of unused bytes now
  int pipefd[2];
  BOOST_REQUIRE(pipe(pipefd) == 0);
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    uint8_t child[16];
    PublicRandomBytes(child, sizeof(child));
    ssize_t written = write(pipefd[1], child, sizeof(child));
    _exit(written == sizeof(child) ? 0 : 1);
  }
  uint8_t parent[16], child[16];
  PublicRandomBytes(parent, sizeof(parent));
  BOOST_REQUIRE(read(pipefd[0], child, sizeof(child)) == static_cast<ssize_t>(sizeof(child)));
  int status = 0;
  waitpid(pid, &status, 0);
  close(pipefd[0]);
  close(pipefd[1]);
  BOOST_TEST(std::string(reinterpret_cast<char*>(parent), 16) !=
             std::string(reinterpret_cast<char*>(child), 16));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
