#define BOOST_TEST_MODULE services_proxy_tests
#include <boost/test/unit_test.hpp>
