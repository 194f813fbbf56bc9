// Which tags/list pages the client follows (pure logic; the listing itself runs against
// docker-registry in tests/integration/sync).
#include <gtest/gtest.h>

#include "engine/registry/RegistryClient.hpp"

using autonomy::registry::nextTagPage;

TEST(TagPages, FollowsTheNextPageOfTheSameRepo) {
  EXPECT_EQ(nextTagPage("</v2/fleet/nav/tags/list?last=v9&n=100>; rel=\"next\"", "fleet/nav"),
            "/v2/fleet/nav/tags/list?last=v9&n=100");
  EXPECT_EQ(nextTagPage("</v2/app/tags/list?n=2&last=b>; rel=next", "app"), "/v2/app/tags/list?n=2&last=b");
}

TEST(TagPages, StopsAtAnythingElse) {
  EXPECT_FALSE(nextTagPage("", "app"));
  EXPECT_FALSE(nextTagPage("</v2/app/tags/list?n=2&last=b>; rel=\"prev\"", "app"));
  EXPECT_FALSE(nextTagPage("</v2/other/tags/list?n=2>; rel=\"next\"", "app"));
  EXPECT_FALSE(nextTagPage("<https://elsewhere.example/v2/app/tags/list?n=2>; rel=\"next\"", "app"));
  EXPECT_FALSE(nextTagPage("</v2/app/tags/list?n=2 HTTP/1.1\r\nX: y>; rel=\"next\"", "app"));
  EXPECT_FALSE(nextTagPage("/v2/app/tags/list?n=2; rel=\"next\"", "app"));
}
