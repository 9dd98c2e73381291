// The core's seams: extensions with stop hooks, the remote resolver behind `name@endpoint`
// addresses, and the blocking `system::request` for code outside any actor.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/extension.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::test::error_of;
using troupe::test::next;
using troupe::test::probe;

namespace {

/// Records its stop calls into `log` under its `tag`.
class recording_extension : public troupe::extension {
public:
  recording_extension(std::shared_ptr<std::vector<std::string>> log, std::string tag)
    : log_(std::move(log)), tag_(std::move(tag)) {}
  void stop() noexcept override { log_->push_back("stop " + tag_); }

private:
  std::shared_ptr<std::vector<std::string>> log_;
  std::string tag_;
};

/// A stand-in for the network layer: `name@endpoint` is served by local actors that tag each
/// message with the address they stand for, so tests see where a message was routed.
class fake_resolver : public troupe::extension, public troupe::remote_resolver {
public:
  explicit fake_resolver(troupe::system& sys) : sys_(sys) {
    lookup_ = sys_.engine().spawn<caf::hidden>([this](caf::event_based_actor*) -> caf::behavior {
      return {
        [this](troupe::resolve_atom, const std::string& name,
               const std::string& endpoint) -> caf::result<caf::actor> {
          if (endpoint != "good:1")
            return caf::make_error(caf::sec::cannot_connect_to_node, endpoint);
          auto proxy = route(name, endpoint);
          if (!proxy)
            return proxy.error();
          return *proxy;
        },
      };
    });
  }

  caf::expected<caf::actor> route(std::string_view name, std::string_view endpoint) override {
    ++routes;
    if (endpoint != "good:1")
      return caf::make_error(caf::sec::cannot_connect_to_node, std::string{endpoint});
    std::string address = std::string{name} + "@" + std::string{endpoint};
    if (proxy_ && !proxy_->get()->getf(caf::abstract_actor::is_terminated_flag) && address == address_)
      return caf::actor_cast<caf::actor>(proxy_);
    address_ = address;
    auto sink = sink_;
    auto proxy = sys_.engine().spawn<caf::hidden>([address, sink](caf::event_based_actor* self) -> caf::behavior {
      return {
        [=](int x) -> int {
          if (sink)
            self->send(sink, address, x);
          return x * 2;
        },
        [=](const std::string& x) {
          if (x == "die")
            self->quit();
        },
      };
    });
    proxy_ = caf::actor_cast<caf::strong_actor_ptr>(proxy);
    return proxy;
  }

  caf::actor lookup_actor() override { return lookup_; }

  void stop() noexcept override {
    caf::anon_send_exit(lookup_, caf::exit_reason::user_shutdown);
    if (proxy_)
      caf::anon_send_exit(proxy_, caf::exit_reason::user_shutdown);
    stopped = true;
  }

  caf::actor sink_;
  std::atomic<int> routes{0};
  bool stopped = false;

private:
  troupe::system& sys_;
  caf::actor lookup_;
  caf::strong_actor_ptr proxy_;
  std::string address_;
};

troupe::config with_fake_resolver() {
  troupe::config cfg;
  cfg.add_extension([](troupe::system& sys) { return std::make_unique<fake_resolver>(sys); });
  return cfg;
}

task doubler(co_actor& self) {
  for (;;) {
    auto x = co_await self.receive<int>();
    if (x < 0) {
      self.reply(caf::make_error(caf::sec::invalid_argument, "negative"));
      continue;
    }
    self.reply(x * 2);
  }
}

task silent(co_actor& self) {
  auto promise = self.take_reply_promise();
  (void) co_await self.receive<int>();
  promise = self.take_reply_promise(); // keeps the request unanswered until the actor ends
  (void) co_await self.receive<std::string>();
}

} // namespace

TEST_CASE("extension: split_address separates a name from its endpoint") {
  auto a = troupe::split_address("counter@127.0.0.1:4000");
  REQUIRE(a.has_value());
  CHECK(a->name == "counter");
  CHECK(a->endpoint == "127.0.0.1:4000");
  auto u = troupe::split_address("x@unix:/tmp/a@b");
  REQUIRE(u.has_value());
  CHECK(u->name == "x");
  CHECK(u->endpoint == "unix:/tmp/a@b");
  CHECK_FALSE(troupe::split_address("counter").has_value());
}

TEST_CASE("extension: extensions are created with the system and stopped once, last first") {
  auto log = std::make_shared<std::vector<std::string>>();
  troupe::config cfg;
  cfg.add_extension([log](troupe::system&) {
    return std::make_unique<recording_extension>(log, "first");
  });
  cfg.add_extension([log](troupe::system&) {
    return std::make_unique<recording_extension>(log, "second");
  });
  {
    troupe::system sys{cfg};
    CHECK(sys.find_extension<recording_extension>() != nullptr);
    CHECK(sys.find_extension<fake_resolver>() == nullptr);
    CHECK(sys.resolver() == nullptr);
    sys.shutdown();
    CHECK(*log == std::vector<std::string>{"stop second", "stop first"});
  } // ~system does not stop them again
  CHECK(log->size() == 2);
}

TEST_CASE("extension: without a network layer a remote address is an unknown name") {
  troupe::system sys;
  auto err = sys.send("x@host:1", 1);
  CHECK(err == troupe::make_error(troupe::error_code::unknown_name));
  CHECK(caf::to_string(err).find("no network layer") != std::string::npos);
  CHECK(error_of(sys.lookup("x@host:1")) == troupe::make_error(troupe::error_code::unknown_name));
  auto reply = sys.request<int>("x@host:1", 1s, 21);
  CHECK(error_of(reply) == troupe::make_error(troupe::error_code::unknown_name));
}

TEST_CASE("extension: remote addresses go to the resolver from the system and from actors") {
  auto cfg = with_fake_resolver();
  troupe::system sys{cfg};
  auto* fake = sys.find_extension<fake_resolver>();
  REQUIRE(fake != nullptr);
  CHECK(sys.resolver() == fake);
  probe p{sys};
  fake->sink_ = p.handle();

  REQUIRE_FALSE(sys.send("counter@good:1", 7));
  CHECK(next<std::tuple<std::string, int>>(p) == std::tuple{std::string{"counter@good:1"}, 7});
  CHECK(sys.send("counter@bad:2", 7) == caf::sec::cannot_connect_to_node);

  // Blocking lookup and request from outside any actor.
  auto found = sys.lookup("counter@good:1");
  REQUIRE(found);
  CHECK(sys.request<int>(*found, 1s, 5) == 10);
  CHECK(next<std::tuple<std::string, int>>(p) == std::tuple{std::string{"counter@good:1"}, 5});
  CHECK(error_of(sys.lookup("counter@bad:2")) == caf::sec::cannot_connect_to_node);
  CHECK(sys.request<int>("counter@good:1", 1s, 8) == 16);
  (void) next<std::tuple<std::string, int>>(p);

  // From a coroutine: send, request and resolve.
  auto client = sys.spawn([](co_actor& self, caf::actor report) -> task {
    (void) self.send("counter@good:1", 1);
    auto doubled = co_await self.request<int>("counter@good:1", 1s, 2);
    self.send(report, std::string{"request"}, doubled ? *doubled : -1);
    auto who = co_await self.resolve("counter@good:1");
    self.send(report, std::string{"resolve"}, who ? 1 : 0);
    auto bad = co_await self.resolve("counter@bad:2", 1s);
    self.send(report, std::string{"resolve bad"},
              !bad && bad.error() == caf::sec::cannot_connect_to_node ? 1 : 0);
    auto failed = self.send("counter@bad:2", 3);
    self.send(report, std::string{"send bad"},
              failed == caf::sec::cannot_connect_to_node ? 1 : 0);
  }, p.handle());
  // The sink's tagged copies and the client's reports share the probe: collect both kinds.
  std::vector<std::tuple<std::string, int>> seen;
  for (int i = 0; i < 6; ++i)
    seen.push_back(next<std::tuple<std::string, int>>(p));
  auto has = [&](std::string tag, int x) {
    return std::find(seen.begin(), seen.end(), std::tuple{tag, x}) != seen.end();
  };
  CHECK(has("counter@good:1", 1));
  CHECK(has("counter@good:1", 2));
  CHECK(has("request", 4));
  CHECK(has("resolve", 1));
  CHECK(has("resolve bad", 1));
  CHECK(has("send bad", 1));
}

TEST_CASE("extension: a cached remote handle that terminated is routed anew") {
  auto cfg = with_fake_resolver();
  troupe::system sys{cfg};
  auto* fake = sys.find_extension<fake_resolver>();
  probe p{sys};
  fake->sink_ = p.handle();
  // Commands are doubles: the ints that the routed actor returns stay in the stash.
  auto sender = sys.spawn([](co_actor& self) -> task {
    for (;;) {
      auto cmd = co_await self.receive<double, std::string>();
      if (auto* x = std::get_if<double>(&cmd))
        (void) self.send("counter@good:1", static_cast<int>(*x));
      else
        (void) self.send("counter@good:1", std::get<std::string>(cmd));
    }
  });
  caf::anon_send(sender, 1.0);
  (void) next<std::tuple<std::string, int>>(p);
  auto routes_before = fake->routes.load();
  caf::anon_send(sender, 2.0); // served from the cache: no new route
  (void) next<std::tuple<std::string, int>>(p);
  CHECK(fake->routes.load() == routes_before);

  // The handle dies (its node was lost): the next send must not use the dead cached handle.
  auto old = caf::actor_cast<caf::actor>(*sys.lookup("counter@good:1"));
  p->monitor(old);
  caf::anon_send(sender, std::string{"die"});
  (void) next<caf::down_msg>(p);
  caf::anon_send(sender, 3.0);
  CHECK(next<std::tuple<std::string, int>>(p) == std::tuple{std::string{"counter@good:1"}, 3});
  CHECK(fake->routes.load() > routes_before);
  caf::anon_send_exit(sender, caf::exit_reason::user_shutdown);
}

TEST_CASE("system: request blocks outside any actor and returns the reply or the error") {
  troupe::system sys;
  auto dbl = sys.spawn_named("doubler", doubler);
  REQUIRE(dbl);
  CHECK(sys.request<int>(*dbl, 1s, 21) == 42);
  CHECK(sys.request<int>("doubler", 1s, 4) == 8);
  CHECK(error_of(sys.request<int>("doubler", 1s, -1)) == caf::sec::invalid_argument);
  CHECK(error_of(sys.request<int>("nobody", 1s, 1)) ==
        troupe::make_error(troupe::error_code::unknown_name));
  CHECK(error_of(sys.request<std::string>("doubler", 1s, 3)) == caf::sec::unexpected_response);
  CHECK(error_of(sys.request<int>(caf::actor{}, 1s, 3)) == caf::sec::invalid_argument);

  auto quiet = sys.spawn(silent);
  CHECK(error_of(sys.request<int>(quiet, 50ms, 1)) == caf::sec::request_timeout);
  // No scoped_actor was involved: shutdown returns with the request's receiver stopped.
  sys.shutdown();
  CHECK(error_of(sys.request<int>(quiet, 1s, 1)) == caf::sec::request_receiver_down);
}

TEST_CASE("system: request<> awaits an empty reply") {
  troupe::system sys;
  auto acker = sys.spawn([](co_actor& self) -> task {
    (void) co_await self.receive<std::string>();
    self.reply();
  });
  auto done = sys.request<>(acker, 1s, std::string{"go"});
  CHECK(static_cast<bool>(done));
}

TEST_CASE("extension: send_paced delivers at once to a local actor and fails like send") {
  troupe::system sys;
  probe p{sys};
  REQUIRE_FALSE(sys.register_name("sink", p.handle()));
  sys.spawn([](co_actor& self, caf::actor report) -> task {
    auto ok = co_await self.send_paced("sink", 1);
    auto by_handle = co_await self.send_paced(report, 2);
    // Converted as `send` converts: a string literal arrives as a std::string, and an lvalue
    // is copied, not moved from.
    std::string kept{"kept"};
    (void) co_await self.send_paced(report, "text", kept);
    self.send(report, kept);
    auto unknown = co_await self.send_paced("nobody", 3);
    auto remote = co_await self.send_paced("x@host:1", 4);
    self.send(report, !ok && !by_handle ? 1 : 0,
              unknown == troupe::make_error(troupe::error_code::unknown_name) ? 1 : 0,
              remote == troupe::make_error(troupe::error_code::unknown_name) ? 1 : 0);
  }, p.handle());
  CHECK(next<int>(p) == 1);
  CHECK(next<int>(p) == 2);
  CHECK(next<std::tuple<std::string, std::string>>(p) == std::tuple{"text", "kept"});
  CHECK(next<std::string>(p) == "kept");
  CHECK(next<std::tuple<int, int, int>>(p) == std::tuple{1, 1, 1});
}
