#define BOOST_TEST_MODULE services_certificates_tests
#include <boost/test/unit_test.hpp>
