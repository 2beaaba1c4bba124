#define BOOST_TEST_MODULE services_events_tests
#include <boost/test/unit_test.hpp>
