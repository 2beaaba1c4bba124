#include "common/master_keys.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "tests/common/test_util.h"

namespace latchkey {
namespace {

const char kKey1[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const char kKey2[] = "HxwdHhscGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI=";

BOOST_AUTO_TEST_SUITE(MasterKeysTest)

BOOST_AUTO_TEST_CASE(FirstKeyIsActive) {
  auto ring = MasterKeyring::Parse(std::string("new:") + kKey2 + ",old:" + kKey1);
  BOOST_REQUIRE(ring.ok());
  BOOST_TEST(ring->active_id() == "new");
  BOOST_TEST(ring->Has("old"));
  BOOST_TEST(!ring->Has("other"));
}

BOOST_AUTO_TEST_CASE(RejectsMalformedSpecsWithoutEchoingKeys) {
  for (std::string bad : {std::string(""), std::string("nocolon"), std::string("k1:notbase64!"),
                          std::string("k1:AAEC"), std::string("bad id:") + kKey1,
                          std::string("k1:") + kKey1 + ",k1:" + kKey2}) {
    auto ring = MasterKeyring::Parse(bad);
    BOOST_TEST(!ring.ok(), bad);
    BOOST_TEST(ring.status().message().find(kKey1) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(WrapUsesActiveKeyAndUnwrapNeedsTheRightOne) {
  auto ring = *MasterKeyring::Parse(std::string("k1:") + kKey1);
  Bytes wrapped = *ring.Wrap("data key bytes", "aad");
  BOOST_TEST(ring.Unwrap("k1", AsView(wrapped), "aad")->view() == "data key bytes");
  BOOST_TEST((ring.Unwrap("k2", AsView(wrapped), "aad").status().code() ==
              StatusCode::kFailedPrecondition));
  BOOST_TEST(
      (ring.Unwrap("k1", AsView(wrapped), "other").status().code() == StatusCode::kDataLoss));
}

BOOST_AUTO_TEST_CASE(CreatesFileWithMode0600AndLoadsIt) {
  testing::TempDir dir;
  std::string path = dir.file("master.key");
  auto created = MasterKeyring::CreateFile(path);
  BOOST_REQUIRE(created.ok());
  struct stat st {};
  BOOST_REQUIRE(stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto loaded = MasterKeyring::LoadFile(path);
  BOOST_REQUIRE(loaded.ok());
  Bytes wrapped = *created->Wrap("x", "a");
  BOOST_TEST(loaded->Unwrap(created->active_id(), AsView(wrapped), "a")->view() == "x");
  BOOST_TEST((MasterKeyring::CreateFile(path).status().code() == StatusCode::kAlreadyExists));
}

BOOST_AUTO_TEST_CASE(RefusesAGroupReadableKeyFile) {
  testing::TempDir dir;
  std::string path = dir.file("master.key");
  std::ofstream(path) << "k1:" << kKey1 << "\n";
  chmod(path.c_str(), 0644);
  auto loaded = MasterKeyring::LoadFile(path);
  BOOST_TEST((loaded.status().code() == StatusCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace latchkey
