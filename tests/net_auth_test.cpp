// The shared secret (troupe.net.secret-file) between two processes: the same secret connects,
// a wrong or a missing one is refused with authentication_failed and nothing is delivered.

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using troupe::test::net_system;
using troupe::test::patience;
using troupe::test::start_node;

namespace {

/// A file holding a secret, removed when the test ends.
struct secret_file {
  explicit secret_file(const std::string& secret) {
    static int counter = 0;
    path = "/tmp/troupe-net-secret-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    std::ofstream{path} << secret << '\n';
  }
  ~secret_file() { std::remove(path.c_str()); }
  std::string path;
};

/// The reply of the remote echo to a client configured by `secret_path` ("" for none).
caf::expected<int32_t> ask_with(const std::string& endpoint, const std::string& secret_path) {
  troupe::config cfg;
  troupe::test::enable_net(cfg);
  if (!secret_path.empty())
    troupe::net::set_option(cfg, "secret-file", secret_path);
  troupe::system sys{cfg};
  return sys.request<int32_t>("echo@" + endpoint, patience, int32_t{5});
}

caf::error auth_failed() {
  return troupe::net::make_error(troupe::net::error_code::authentication_failed);
}

} // namespace

TEST_CASE("auth: peers that share the secret talk, a wrong or missing secret is refused") {
  secret_file right{"open sesame"};
  secret_file wrong{"open barley"};
  auto node = start_node("127.0.0.1:0", {"--troupe.net.secret-file=" + right.path});
  SUBCASE("the same secret") {
    auto reply = ask_with(node.endpoint, right.path);
    REQUIRE(reply);
    CHECK(*reply == 5);
  }
  SUBCASE("a wrong secret") {
    auto reply = ask_with(node.endpoint, wrong.path);
    REQUIRE(!reply);
    CHECK(reply.error() == auth_failed());
  }
  SUBCASE("no secret") {
    auto reply = ask_with(node.endpoint, "");
    REQUIRE(!reply);
    CHECK(reply.error() == auth_failed());
  }
}
