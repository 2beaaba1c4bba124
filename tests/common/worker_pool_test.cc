#include "common/worker_pool.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <stdexcept>

namespace latchkey {
namespace {

// A gate jobs wait at until the test opens it.
struct Gate {
  std::promise<void> opened;
  std::shared_future<void> wait = opened.get_future().share();
  void Open() { opened.set_value(); }
};

BOOST_AUTO_TEST_SUITE(WorkerPoolTest)

BOOST_AUTO_TEST_CASE(RunsJobsOnItsThreads) {
  WorkerPool pool(2, 16);
  std::promise<std::thread::id> ran;
  BOOST_TEST(pool.TrySubmit([&] { ran.set_value(std::this_thread::get_id()); }));
  BOOST_TEST((ran.get_future().get() != std::this_thread::get_id()));
  BOOST_TEST(pool.threads() == 2);
}

BOOST_AUTO_TEST_CASE(RefusesPastItsQueueAndRunsAgainOnceItDrains) {
  WorkerPool pool(1, 2);
  Gate gate;
  std::promise<void> started;
  BOOST_TEST(pool.TrySubmit([&] {
    started.set_value();
    gate.wait.wait();
  }));
  started.get_future().wait();  // the only thread is busy now
  std::atomic<int> done{0};
  BOOST_TEST(pool.TrySubmit([&] { ++done; }));
  BOOST_TEST(pool.TrySubmit([&] { ++done; }));
  BOOST_TEST(!pool.TrySubmit([&] { ++done; }));  // queue full
  BOOST_TEST(pool.queued() == 2u);
  BOOST_TEST(pool.busy() == 1);
  gate.Open();
  pool.Stop();  // runs what was queued before returning
  BOOST_TEST(done.load() == 2);
  BOOST_TEST(!pool.TrySubmit([] {}));  // stopped
}

BOOST_AUTO_TEST_CASE(AJobThatThrowsDoesNotTakeTheThreadDown) {
  WorkerPool pool(1, 4);
  BOOST_TEST(pool.TrySubmit([] { throw std::runtime_error("boom"); }));
  std::promise<void> after;
  BOOST_TEST(pool.TrySubmit([&] { after.set_value(); }));
  after.get_future().get();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
