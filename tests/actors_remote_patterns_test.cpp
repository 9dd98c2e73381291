// The semaphore, barrier, event, rw_guard and banker served to a remote client that speaks
// their Protobuf protocols (proto/troupe/actors/*.proto): two nodes in this process, over TCP
// on 127.0.0.1. Each pattern's replies and each of its documented error codes; the supervisor's
// child commands.

#include <set>
#include <string>

#include <caf/all.hpp>

#include "actors_remote/remote_fixture.hpp"
#include "actors_test_helpers.hpp"
#include "troupe/actors/banker.hpp"
#include "troupe/actors/banker.pb.h"
#include "troupe/actors/barrier.hpp"
#include "troupe/actors/barrier.pb.h"
#include "troupe/actors/event.hpp"
#include "troupe/actors/event.pb.h"
#include "troupe/actors/rw_guard.hpp"
#include "troupe/actors/rw_guard.pb.h"
#include "troupe/actors/semaphore.hpp"
#include "troupe/actors/semaphore.pb.h"
#include "troupe/actors/supervisor.hpp"
#include "troupe/actors/supervisor.pb.h"
#include "troupe/task.hpp"

using namespace std::chrono_literals;
namespace ta = troupe::actors;
using troupe::test::ask_proto;
using troupe::test::error_code_of;
using troupe::test::holds;
using troupe::test::pattern_node;
using troupe::test::probe;

namespace {

/// A short wait limit, in nanoseconds, for the TIMEOUT cases.
constexpr int64_t short_wait = std::chrono::nanoseconds{30ms}.count();

/// `actor` registered as `name` on a listening node, a client node, and the client's probe.
struct remote_setup {
  template <class Make> remote_setup(const std::string& name, Make make) {
    local_handle = make(server.sys);
    REQUIRE_FALSE(server.sys.register_name(name, local_handle));
    remote = client.remote(server, name);
  }

  pattern_node server{true};
  pattern_node client;
  caf::actor local_handle;
  caf::actor remote;
  probe p{client.sys};
  probe local{server.sys};
};

template <class T, class... Fields> T make(Fields... fields) {
  T x;
  (fields(x), ...);
  return x;
}

} // namespace

TEST_CASE("remote patterns: a semaphore grants, refuses and times out Protobuf acquires") {
  remote_setup s{"sem", [](troupe::system& sys) { return ta::semaphore::spawn(sys, 2)->handle(); }};
  auto acquire = [](int32_t n, int64_t wait = 0) {
    ta::Acquire x;
    x.set_count(n);
    x.set_wait_ns(wait);
    return x;
  };
  auto release = [](int32_t n) {
    ta::Release x;
    x.set_count(n);
    return x;
  };
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire(3))) == ta::INVALID_ARGUMENT);
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire(1, -1))) == ta::INVALID_ARGUMENT);
  CHECK(holds<ta::Acquired>(ask_proto(s.p, s.remote, acquire(1))));
  ta::TryAcquire two;
  two.set_count(2);
  auto tried = ask_proto(s.p, s.remote, two);
  REQUIRE(holds<ta::TryAcquired>(tried));
  CHECK_FALSE(tried->get_as<ta::TryAcquired>(0).acquired());
  CHECK(error_code_of(ask_proto(s.p, s.remote, release(2))) == ta::NOT_HOLDER);
  // A local holder takes the last permit: the remote acquire waits past its limit.
  CHECK_FALSE(troupe::test::call(s.local, s.local_handle, ta::semaphore::acquire_atom::value, 1));
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire(1, short_wait))) == ta::TIMEOUT);
  CHECK(holds<ta::Released>(ask_proto(s.p, s.remote, release(1))));
  auto stats = ask_proto(s.p, s.remote, ta::GetSemaphoreStats{});
  REQUIRE(holds<ta::SemaphoreStats>(stats));
  auto& st = stats->get_as<ta::SemaphoreStats>(0);
  CHECK(st.permits() == 2);
  CHECK(st.available() == 1);
  CHECK(st.granted() == 2);
  CHECK(st.waiting() == 0);
}

TEST_CASE("remote patterns: a barrier passes a remote and a local party and breaks as documented") {
  remote_setup s{"bar", [](troupe::system& sys) { return ta::barrier::spawn(sys, 2)->handle(); }};
  // A local party arrives from an actor of its own; the remote one from the client's probe.
  s.server.sys.engine().spawn(
    [bar = s.local_handle, to = s.local.handle()](caf::event_based_actor* self) {
      self->request(bar, 5s, ta::barrier::wait_atom::value).then([self, to](int32_t index) {
        self->send(to, index);
      });
    });
  auto passed = ask_proto(s.p, s.remote, ta::ArriveAndWait{});
  REQUIRE(holds<ta::Passed>(passed));
  auto local_index = troupe::test::next<int32_t>(s.local);
  CHECK(std::set<int32_t>{passed->get_as<ta::Passed>(0).index(), local_index} ==
        std::set<int32_t>{0, 1});
  // Alone past its limit: the barrier breaks for everyone.
  ta::ArriveAndWait limited;
  limited.set_limit_ns(short_wait);
  CHECK(error_code_of(ask_proto(s.p, s.remote, limited)) == ta::BROKEN_BARRIER);
  CHECK(error_code_of(ask_proto(s.p, s.remote, ta::ArriveAndWait{})) == ta::BROKEN_BARRIER);
  CHECK(holds<ta::BarrierDone>(ask_proto(s.p, s.remote, ta::Reset{})));
  CHECK(holds<ta::BarrierDone>(ask_proto(s.p, s.remote, ta::Abort{})));
  auto aborted = ask_proto(s.p, s.remote, ta::ArriveAndWait{});
  CHECK(error_code_of(aborted) == ta::BROKEN_BARRIER);
  CHECK(aborted->get_as<ta::Error>(0).text() == "barrier aborted");
}

TEST_CASE("remote patterns: an event is set, cleared and waited for by a Protobuf client") {
  remote_setup s{"ev", [](troupe::system& sys) { return ta::event::spawn(sys).handle(); }};
  auto is_set = [&] {
    auto state = ask_proto(s.p, s.remote, ta::IsSet{});
    REQUIRE(holds<ta::EventState>(state));
    return state->get_as<ta::EventState>(0).set();
  };
  auto wait = [](int64_t ns) {
    ta::WaitEvent x;
    x.set_wait_ns(ns);
    return x;
  };
  CHECK_FALSE(is_set());
  CHECK(error_code_of(ask_proto(s.p, s.remote, wait(short_wait))) == ta::TIMEOUT);
  CHECK(error_code_of(ask_proto(s.p, s.remote, wait(-1))) == ta::INVALID_ARGUMENT);
  CHECK(holds<ta::EventDone>(ask_proto(s.p, s.remote, ta::SetEvent{})));
  CHECK(holds<ta::EventDone>(ask_proto(s.p, s.remote, wait(0))));
  CHECK(is_set());
  CHECK(holds<ta::EventDone>(ask_proto(s.p, s.remote, ta::ClearEvent{})));
  CHECK_FALSE(is_set());
}

TEST_CASE("remote patterns: an rw_guard leases to a Protobuf client with each documented error") {
  remote_setup s{"rw", [](troupe::system& sys) {
                   return ta::rw_guard::spawn(sys, ta::rw_policy::fair)->handle();
                 }};
  auto acquire = [](std::string res, ta::LeaseKind kind, int64_t wait = 0) {
    ta::AcquireLease x;
    x.set_resource(std::move(res));
    x.set_kind(kind);
    x.set_wait_ns(wait);
    return x;
  };
  ta::ReleaseLease release;
  release.set_resource("r");
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire("", ta::READ))) == ta::INVALID_ARGUMENT);
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire("r", ta::LEASE_KIND_UNSPECIFIED))) ==
        ta::INVALID_ARGUMENT);
  CHECK(holds<ta::LeaseGranted>(ask_proto(s.p, s.remote, acquire("r", ta::WRITE))));
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire("r", ta::READ))) == ta::INVALID_ARGUMENT);
  ta::GetRwStats get;
  get.set_resource("r");
  auto stats = ask_proto(s.p, s.remote, get);
  REQUIRE(holds<ta::RwStats>(stats));
  CHECK(stats->get_as<ta::RwStats>(0).writer());
  CHECK(stats->get_as<ta::RwStats>(0).readers() == 0);
  CHECK(holds<ta::LeaseReleased>(ask_proto(s.p, s.remote, release)));
  CHECK(error_code_of(ask_proto(s.p, s.remote, release)) == ta::NOT_HOLDER);
  // A local writer holds the resource: the remote read waits past its limit.
  CHECK_FALSE(troupe::test::call(s.local, s.local_handle, ta::rw_guard::acquire_write_atom::value,
                                 std::string{"r"}));
  CHECK(error_code_of(ask_proto(s.p, s.remote, acquire("r", ta::READ, short_wait))) == ta::TIMEOUT);
}

TEST_CASE("remote patterns: a banker serves claims, requests and releases of a Protobuf client") {
  remote_setup s{"bank", [](troupe::system& sys) {
                   return ta::banker::spawn(sys, ta::resource_vector{3, 2})->handle();
                 }};
  auto claim = [](std::initializer_list<int32_t> max) {
    ta::Claim x;
    x.mutable_max()->Add(max.begin(), max.end());
    return x;
  };
  auto request = [](std::initializer_list<int32_t> amounts) {
    ta::RequestResources x;
    x.mutable_amounts()->Add(amounts.begin(), amounts.end());
    return x;
  };
  auto release = [](std::initializer_list<int32_t> amounts) {
    ta::ReleaseResources x;
    x.mutable_amounts()->Add(amounts.begin(), amounts.end());
    return x;
  };
  CHECK(error_code_of(ask_proto(s.p, s.remote, request({1, 0}))) == ta::UNKNOWN_CLIENT);
  CHECK(error_code_of(ask_proto(s.p, s.remote, claim({4, 0}))) == ta::OVER_TOTAL);
  CHECK(error_code_of(ask_proto(s.p, s.remote, claim({1}))) == ta::INVALID_ARGUMENT);
  CHECK(holds<ta::BankerDone>(ask_proto(s.p, s.remote, claim({2, 1}))));
  CHECK(error_code_of(ask_proto(s.p, s.remote, request({3, 0}))) == ta::OVER_CLAIM);
  CHECK(holds<ta::BankerDone>(ask_proto(s.p, s.remote, request({1, 1}))));
  CHECK(error_code_of(ask_proto(s.p, s.remote, release({2, 0}))) == ta::NOT_HOLDER);
  auto snap = ask_proto(s.p, s.remote, ta::GetSnapshot{});
  REQUIRE(holds<ta::BankerSnapshot>(snap));
  auto& st = snap->get_as<ta::BankerSnapshot>(0);
  REQUIRE(st.clients_size() == 1);
  CHECK(std::vector<int32_t>(st.clients(0).allocation().begin(),
                             st.clients(0).allocation().end()) == std::vector<int32_t>{1, 1});
  CHECK(std::vector<int32_t>(st.available().begin(), st.available().end()) ==
        std::vector<int32_t>{2, 1});
  CHECK(holds<ta::BankerDone>(ask_proto(s.p, s.remote, release({1, 0}))));
  CHECK(holds<ta::BankerDone>(ask_proto(s.p, s.remote, ta::Leave{})));
  auto after = ask_proto(s.p, s.remote, ta::GetSnapshot{});
  REQUIRE(holds<ta::BankerSnapshot>(after));
  CHECK(after->get_as<ta::BankerSnapshot>(0).clients_size() == 0);
  CHECK(std::vector<int32_t>(after->get_as<ta::BankerSnapshot>(0).available().begin(),
                             after->get_as<ta::BankerSnapshot>(0).available().end()) ==
        std::vector<int32_t>{3, 2});
}

TEST_CASE("remote patterns: a supervisor lists, stops, restarts and deletes children for a "
          "Protobuf client") {
  auto idle = [](troupe::co_actor& self) -> troupe::task {
    (void)co_await self.receive<int32_t>(); // runs until stopped
  };
  remote_setup s{"sup", [&](troupe::system& sys) {
                   auto spec = ta::worker_spec("worker", idle);
                   spec.name = "worker";
                   return ta::supervisor::spawn(sys, {}, {spec})->handle();
                 }};
  auto children = [&] {
    auto reply = ask_proto(s.p, s.remote, ta::WhichChildren{});
    REQUIRE(holds<ta::Children>(reply));
    return reply->get_as<ta::Children>(0);
  };
  auto listed = children();
  REQUIRE(listed.children_size() == 1);
  CHECK(listed.children(0).id() == "worker");
  CHECK(listed.children(0).name() == "worker");
  CHECK(listed.children(0).running());
  CHECK(listed.children(0).restart() == ta::PERMANENT);
  auto code_of = [](const caf::expected<caf::message>& reply) {
    REQUIRE(holds<ta::SupervisorError>(reply));
    return reply->get_as<ta::SupervisorError>(0).code();
  };
  ta::TerminateChild terminate;
  terminate.set_id("nobody");
  CHECK(code_of(ask_proto(s.p, s.remote, terminate)) == ta::UNKNOWN_CHILD);
  ta::DeleteChild remove;
  remove.set_id("worker");
  CHECK(code_of(ask_proto(s.p, s.remote, remove)) == ta::CHILD_RUNNING);
  terminate.set_id("worker");
  CHECK(holds<ta::ChildDone>(ask_proto(s.p, s.remote, terminate)));
  CHECK_FALSE(children().children(0).running());
  ta::RestartChild restart;
  restart.set_id("worker");
  CHECK(holds<ta::ChildDone>(ask_proto(s.p, s.remote, restart)));
  CHECK(children().children(0).running());
  CHECK(code_of(ask_proto(s.p, s.remote, restart)) == ta::CHILD_RUNNING);
  CHECK(holds<ta::ChildDone>(ask_proto(s.p, s.remote, terminate)));
  CHECK(holds<ta::ChildDone>(ask_proto(s.p, s.remote, remove)));
  CHECK(children().children_size() == 0);
}

TEST_CASE("remote patterns: the permits of a remote holder come back when it and its node stop") {
  pattern_node server{true};
  auto sem = *ta::semaphore::spawn(server.sys, 2);
  REQUIRE_FALSE(server.sys.register_name("sem", sem.handle()));
  probe local{server.sys};
  {
    pattern_node client;
    auto remote = client.remote(server, "sem");
    probe p{client.sys};
    ta::Acquire two;
    two.set_count(2);
    CHECK(holds<ta::Acquired>(ask_proto(p, remote, two)));
  } // The client (its probe) and its node stop while the probe holds both permits.
  // A local acquire of both waits until the semaphore took them back (a Down or node_down).
  CHECK_FALSE(troupe::test::call(local, sem.handle(), ta::semaphore::acquire_atom::value, 2));
  auto st = troupe::test::call_for<ta::semaphore_stats>(local, sem.handle(),
                                                        ta::semaphore::stats_atom::value);
  REQUIRE(st);
  CHECK(st->reclaimed == 2);
  CHECK(st->available == 0);
}
