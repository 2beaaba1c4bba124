// The list contract's paging and the ETag helpers, on their own.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "api/conditional.h"
#include "api/pagination.h"

namespace latchkey {
namespace {

struct Item {
  int64_t time;
  std::string id;
};

PageKey KeyOf(const Item& item) { return {item.time, item.id}; }

HttpRequest Query(std::vector<std::pair<std::string, std::string>> query) {
  HttpRequest r;
  r.method = "GET";
  r.query = std::move(query);
  return r;
}

std::vector<std::string> AllPages(const std::vector<Item>& items, int limit) {
  std::vector<std::string> seen;
  PageRequest request{"/items", limit, std::nullopt};
  for (int guard = 0; guard < 100; ++guard) {
    std::optional<PageKey> next;
    for (const Item& item : Paginate(items, request, KeyOf, NewerFirst, &next)) {
      seen.push_back(item.id);
    }
    if (!next) break;
    request.after = DecodeCursor("/items", EncodeCursor("/items", *next));
  }
  return seen;
}

BOOST_AUTO_TEST_CASE(pages_cover_every_item_once_newest_first_ties_by_id) {
  std::vector<Item> items = {{10, "a"}, {30, "c"}, {20, "b"}, {30, "d"}, {5, "e"}};
  std::vector<std::string> expected = {"d", "c", "b", "a", "e"};
  for (int limit = 1; limit <= 6; ++limit) {
    BOOST_TEST(AllPages(items, limit) == expected, "limit " << limit);
  }
}

BOOST_AUTO_TEST_CASE(an_insert_between_pages_neither_repeats_nor_skips_an_item) {
  std::vector<Item> items = {{10, "a"}, {20, "b"}, {30, "c"}};
  PageRequest first{"/items", 2, std::nullopt};
  std::optional<PageKey> next;
  auto page1 = Paginate(items, first, KeyOf, NewerFirst, &next);
  BOOST_REQUIRE(next);
  items.push_back({40, "new"});    // newer: before the cursor
  items.erase(items.begin() + 2);  // "c", already sent, deleted
  auto page2 = Paginate(items, PageRequest{"/items", 2, next}, KeyOf, NewerFirst, &next);
  BOOST_REQUIRE(page1.size() == 2u);
  BOOST_TEST(page1[0].id == "c");
  BOOST_TEST(page1[1].id == "b");
  BOOST_REQUIRE(page2.size() == 1u);
  BOOST_TEST(page2[0].id == "a");
  BOOST_TEST(!next);
}

BOOST_AUTO_TEST_CASE(name_ordered_lists_page_by_id_ascending) {
  std::vector<Item> items = {{0, "slack"}, {0, "github"}, {0, "notion"}};
  std::optional<PageKey> next;
  auto page = Paginate(items, PageRequest{"/items", 2, std::nullopt}, KeyOf, ByIdAscending, &next);
  BOOST_REQUIRE(page.size() == 2u);
  BOOST_TEST(page[0].id == "github");
  BOOST_TEST(page[1].id == "notion");
  page = Paginate(items, PageRequest{"/items", 2, next}, KeyOf, ByIdAscending, &next);
  BOOST_REQUIRE(page.size() == 1u);
  BOOST_TEST(page[0].id == "slack");
}

BOOST_AUTO_TEST_CASE(limit_and_cursor_are_checked) {
  auto defaults = ParsePageRequest(Query({}));
  BOOST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->limit == 50);
  BOOST_TEST(!defaults->after);
  BOOST_TEST(ParsePageRequest(Query({{"limit", "1000"}}))->limit == 1000);
  for (const char* bad : {"0", "1001", "-1", "ten", ""}) {
    auto r = ParsePageRequest(Query({{"limit", bad}}));
    BOOST_TEST(!r.ok(), bad);
    BOOST_TEST(r.status().message().find("limit") != std::string::npos);
  }
  for (const char* bad : {"", "!!", "bm8tZG90", "eC55"}) {  // "no-dot", "x.y"
    auto r = ParsePageRequest(Query({{"cursor", bad}}));
    BOOST_TEST(!r.ok(), bad);
    BOOST_TEST(r.status().message().find("cursor") != std::string::npos);
  }
  auto key = DecodeCursor("/a", EncodeCursor("/a", {-5, "id.with.dots"}));
  BOOST_REQUIRE(key);
  BOOST_TEST(key->time == -5);
  BOOST_TEST(key->id == "id.with.dots");
  // One list's cursor is refused by another.
  BOOST_TEST(!DecodeCursor("/b", EncodeCursor("/a", {1, "x"})));
  HttpRequest other = Query({{"cursor", EncodeCursor("/secrets", {1, "x"})}});
  other.route = "/api-keys";
  auto refused = ParsePageRequest(other);
  BOOST_TEST(!refused.ok());
  BOOST_TEST(refused.status().message().find("/api-keys") != std::string::npos);
  other.route = "/secrets";
  BOOST_TEST(ParsePageRequest(other).ok());
}

BOOST_AUTO_TEST_CASE(list_body_has_data_and_a_null_or_string_cursor) {
  PageRequest page{"/items", 50, std::nullopt};
  auto last = nlohmann::json(ListBody(page, nlohmann::json::array({1}), std::nullopt));
  BOOST_TEST(last.dump() == R"({"data":[1],"nextCursor":null})");
  auto more = ListBody(page, nlohmann::json::array(), PageKey{1, "x"});
  BOOST_TEST(more["nextCursor"].is_string());
}

BOOST_AUTO_TEST_CASE(etags_ignore_what_changes_by_itself_and_key_order) {
  std::string a = ETagOf(R"({"name":"n","version":1,"useCount":3,"health":{"status":"ok"}})");
  std::string b = ETagOf(R"({"version":1,"name":"n","useCount":9,"lastUsedAt":"2026-01-01"})");
  std::string c = ETagOf(R"({"version":2,"name":"n"})");
  BOOST_TEST(a == b);
  BOOST_TEST(a != c);
  BOOST_TEST(a.front() == '"');
  BOOST_TEST(a.back() == '"');
}

BOOST_AUTO_TEST_CASE(if_match_takes_lists_weak_tags_and_star) {
  std::string etag = "\"abc\"";
  BOOST_TEST(IfMatchAccepts("\"abc\"", etag));
  BOOST_TEST(IfMatchAccepts("\"x\", \"abc\"", etag));
  BOOST_TEST(IfMatchAccepts("W/\"abc\"", etag));
  BOOST_TEST(IfMatchAccepts("*", etag));
  BOOST_TEST(!IfMatchAccepts("\"abd\"", etag));
  BOOST_TEST(!IfMatchAccepts("abc", etag));
  BOOST_TEST(!IfMatchAccepts("", etag));
  BOOST_TEST(WellFormedIfMatch("\"a\", W/\"b\""));
  BOOST_TEST(WellFormedIfMatch("*"));
  for (const char* bad : {"", ",,,", "abc", "\"abc", "W/abc", "\"a\"b\""}) {
    BOOST_TEST(!WellFormedIfMatch(bad), bad);
  }
}

}  // namespace
}  // namespace latchkey
