#define BOOST_TEST_MODULE oauth_tests
#include <boost/test/unit_test.hpp>
