#define BOOST_TEST_MODULE services_credentials_tests
#include <boost/test/unit_test.hpp>
