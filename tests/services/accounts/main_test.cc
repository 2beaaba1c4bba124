#define BOOST_TEST_MODULE services_accounts_tests
#include <boost/test/unit_test.hpp>
