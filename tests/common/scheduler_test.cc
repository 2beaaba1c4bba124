#include "common/scheduler.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

namespace latchkey {
namespace {

BOOST_AUTO_TEST_SUITE(SchedulerTest)

BOOST_AUTO_TEST_CASE(RunsJobsWhenTheClockSaysTheyAreDue) {
  FakeClock clock;
  Scheduler scheduler(clock);
  int runs = 0;
  scheduler.Every(
      "count", std::chrono::seconds(60), [&] { ++runs; }, std::chrono::seconds(10));
  BOOST_TEST(scheduler.RunDue() == 0);
  clock.Advance(std::chrono::seconds(10));
  BOOST_TEST(scheduler.RunDue() == 1);
  BOOST_TEST(scheduler.RunDue() == 0);
  clock.Advance(std::chrono::seconds(59));
  BOOST_TEST(scheduler.RunDue() == 0);
  clock.Advance(std::chrono::seconds(1));
  BOOST_TEST(scheduler.RunDue() == 1);
  BOOST_TEST(runs == 2);
}

BOOST_AUTO_TEST_CASE(AThrowingJobIsReportedAndRescheduled) {
  FakeClock clock;
  std::string failed;
  Scheduler scheduler(
      clock, [&](const std::string& job, const std::string& what) { failed = job + ": " + what; });
  int runs = 0;
  scheduler.Every("boom", std::chrono::seconds(5), [&] {
    ++runs;
    throw std::runtime_error("kaput");
  });
  BOOST_TEST(scheduler.RunDue() == 1);
  BOOST_TEST(failed == "boom: kaput");
  clock.Advance(std::chrono::seconds(5));
  BOOST_TEST(scheduler.RunDue() == 1);
  BOOST_TEST(runs == 2);
}

BOOST_AUTO_TEST_CASE(StopJoinsTheThread) {
  FakeClock clock;
  Scheduler scheduler(clock);
  scheduler.Start(std::chrono::milliseconds(1));
  scheduler.Stop();
  scheduler.Stop();  // idempotent
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
