// What a requester learns when the coroutine actor that holds its request fails.

#include <stdexcept>
#include <string>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::error_code;
using troupe::make_error;
using troupe::task;
using troupe::test::patience;
using troupe::test::probe;

namespace {

/// Throws as soon as it has taken a string: its request is the one being handled; requests of
/// other types that came earlier wait in the stash.
task thrower(co_actor& self) {
  auto what = co_await self.receive<std::string>();
  throw std::runtime_error(what);
}

std::string context_text(const caf::error& err) {
  return err.context().match_elements<std::string>() ? err.context().get_as<std::string>(0) : "";
}

caf::error reply_error(caf::scoped_actor& self, const caf::actor& dest, caf::message msg) {
  caf::error result;
  self->request(dest, patience, std::move(msg))
    .receive([&](caf::message&) { result = caf::make_error(caf::sec::unexpected_response); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

TEST_CASE("co_actor failure: the request being handled and the stashed ones fail with why the actor died") {
  troupe::system sys;
  probe p{sys};
  auto victim = sys.spawn(thrower);
  // One sender, so the mailbox keeps this order: the int request is stashed (the actor awaits
  // a string), then the string request is taken and the body throws while handling it.
  auto stashed = (*p)->request(victim, patience, 7);
  auto handled = (*p)->request(victim, patience, std::string{"disk on fire"});
  for (auto* reply : {&handled, &stashed}) {
    caf::error err;
    reply->receive([&](int) { err = caf::make_error(caf::sec::unexpected_response); },
                   [&](caf::error& x) { err = std::move(x); });
    CHECK(err == make_error(error_code::coroutine_exception));
    CHECK(context_text(err) == "disk on fire");
  }
  // A request that reaches the actor after it died still gets CAF's receiver-down error.
  CHECK(reply_error(*p, victim, caf::make_message(1)) == caf::sec::request_receiver_down);
}
