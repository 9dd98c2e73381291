// Supervisors: strategies on scripted crashes, restart intensity, restart types, names that
// follow restarts, nested trees stopping in order, and the child management requests.

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/actors/supervisor.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::child_exit;
using troupe::actors::child_info;
using troupe::actors::child_spec;
using troupe::actors::restart_strategy;
using troupe::actors::restart_type;
using troupe::actors::supervisor;
using troupe::actors::supervisor_error;
using troupe::actors::supervisor_flags;
using troupe::actors::worker_spec;
using troupe::test::patience;
using troupe::test::probe;

namespace {

using event = std::tuple<std::string, std::string>;

struct test_config : troupe::config {
  test_config() { set("scheduler.max-threads", 4); }
};

/// What every supervisor test starts from: its own system and a probe that the children
/// report their events to.
struct supervisor_fixture {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
};

/// A child that reports ("start", id) and ("stop", id) to `log`, answers "who" with its id,
/// crashes on "crash" and ends normally on "quit".
task worker(co_actor& self, std::string id, caf::actor log) {
  self.trap_exit(true);
  self.send(log, std::string{"start"}, id);
  for (;;) {
    auto msg = co_await self.receive<caf::exit_msg, std::string>();
    if (std::holds_alternative<caf::exit_msg>(msg)) {
      self.send(log, std::string{"stop"}, id);
      co_return;
    }
    auto& cmd = std::get<std::string>(msg);
    if (cmd == "crash")
      throw std::runtime_error("crash of " + id);
    if (cmd == "quit")
      co_return;
    if (cmd == "who")
      self.reply(id);
  }
}

child_spec child(std::string id, caf::actor log, restart_type type = restart_type::permanent) {
  auto spec = worker_spec(id, worker, id, std::move(log));
  spec.restart = type;
  return spec;
}

std::vector<child_info> children_of(troupe::system& sys, const supervisor& sup) {
  auto result = sys.request<std::vector<child_info>>(sup.handle(), patience,
                                                     supervisor::which_children_atom::value);
  REQUIRE(result);
  return *result;
}

caf::actor handle_of(troupe::system& sys, const supervisor& sup, const std::string& id) {
  for (auto& c : children_of(sys, sup))
    if (c.id == id)
      return c.handle;
  return {};
}

/// Makes the probe receive the supervisor's `child_exit` messages.
bool subscribe(probe& p, const supervisor& sup) {
  bool ok = false;
  (*p)
    ->request(sup.handle(), patience, supervisor::subscribe_atom::value)
    .receive([&] { ok = true; }, [](caf::error&) {});
  return ok;
}

/// The next `n` events that reach the probe, in order.
std::vector<event> events(probe& p, size_t n) {
  std::vector<event> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(troupe::test::next<event>(p));
  return result;
}

/// The ids in the next `n` events, which must all be starts, sorted: children run in
/// parallel, so their first messages may arrive in any order.
std::vector<std::string> started(probe& p, size_t n) {
  std::vector<std::string> ids;
  for (auto& [what, id] : events(p, n)) {
    CHECK(what == "start");
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

using ids = std::vector<std::string>;

event ev(const char* what, const char* id) {
  return {what, id};
}

supervisor start_three(troupe::system& sys, probe& p, restart_strategy strategy) {
  supervisor_flags flags;
  flags.strategy = strategy;
  auto sup = supervisor::spawn(
    sys, flags, {child("a", p.handle()), child("b", p.handle()), child("c", p.handle())});
  REQUIRE(sup);
  CHECK(started(p, 3) == ids{"a", "b", "c"});
  return *sup;
}

} // namespace

TEST_CASE_FIXTURE(supervisor_fixture, "supervisor: one_for_one restarts only the crashed child") {
  auto sup = start_three(sys, p, restart_strategy::one_for_one);
  auto before = children_of(sys, sup);
  caf::anon_send(before[1].handle, std::string{"crash"});
  CHECK(events(p, 1) == std::vector{ev("start", "b")});
  auto after = children_of(sys, sup);
  CHECK(after[0].handle == before[0].handle);
  CHECK(after[1].handle != before[1].handle);
  CHECK(after[2].handle == before[2].handle);
  CHECK(after[1].restarts == 1);
  CHECK(after[0].restarts == 0);
  caf::anon_send_exit(sup.handle(), caf::exit_reason::user_shutdown);
  CHECK(events(p, 3) == std::vector{ev("stop", "c"), ev("stop", "b"), ev("stop", "a")});
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: one_for_all stops the others in reverse order and restarts all in order") {
  auto sup = start_three(sys, p, restart_strategy::one_for_all);
  auto before = children_of(sys, sup);
  caf::anon_send(before[1].handle, std::string{"crash"});
  CHECK(events(p, 2) == std::vector{ev("stop", "c"), ev("stop", "a")});
  CHECK(started(p, 3) == ids{"a", "b", "c"});
  auto after = children_of(sys, sup);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(after[i].handle != before[i].handle);
    CHECK(after[i].restarts == 1);
  }
  sys.shutdown();
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: rest_for_one restarts the crashed child and those started after it") {
  auto sup = start_three(sys, p, restart_strategy::rest_for_one);
  auto before = children_of(sys, sup);
  caf::anon_send(before[1].handle, std::string{"crash"});
  CHECK(events(p, 1) == std::vector{ev("stop", "c")});
  CHECK(started(p, 2) == ids{"b", "c"});
  auto after = children_of(sys, sup);
  CHECK(after[0].handle == before[0].handle);
  CHECK(after[1].handle != before[1].handle);
  CHECK(after[2].handle != before[2].handle);
  // A crash of the first child restarts all of them.
  caf::anon_send(after[0].handle, std::string{"crash"});
  CHECK(events(p, 2) == std::vector{ev("stop", "c"), ev("stop", "b")});
  CHECK(started(p, 3) == ids{"a", "b", "c"});
  sys.shutdown();
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: more restarts than the intensity within the period stop it with why") {
  supervisor_flags flags;
  flags.intensity = 2;
  flags.period = 60s;
  auto sup = supervisor::spawn(sys, flags, {child("a", p.handle()), child("b", p.handle())});
  REQUIRE(sup);
  (*p)->monitor(sup->handle());
  CHECK(started(p, 2) == ids{"a", "b"});
  for (int i = 0; i < 2; ++i) {
    caf::anon_send(handle_of(sys, *sup, "b"), std::string{"crash"});
    CHECK(events(p, 1) == std::vector{ev("start", "b")});
  }
  caf::anon_send(handle_of(sys, *sup, "b"), std::string{"crash"});
  // The third crash exceeds 2 restarts: the survivor is stopped, then the supervisor exits.
  CHECK(events(p, 1) == std::vector{ev("stop", "a")});
  auto reason = troupe::test::next_down(p, sup->handle().address());
  CHECK(troupe::actors::is(reason, supervisor_error::restart_intensity_exceeded));
  auto text = troupe::test::context_of(reason);
  CHECK(text.find("child 'b'") != std::string::npos);
  CHECK(text.find("crash of b") != std::string::npos);
}

TEST_CASE_FIXTURE(supervisor_fixture, "supervisor: an intensity of 0 stops it at the first crash") {
  supervisor_flags flags;
  flags.intensity = 0;
  auto sup = supervisor::spawn(sys, flags, {child("a", p.handle())});
  REQUIRE(sup);
  (*p)->monitor(sup->handle());
  CHECK(events(p, 1) == std::vector{ev("start", "a")});
  caf::anon_send(handle_of(sys, *sup, "a"), std::string{"crash"});
  auto reason = troupe::test::next_down(p, sup->handle().address());
  CHECK(troupe::actors::is(reason, supervisor_error::restart_intensity_exceeded));
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: permanent children restart after any exit, transient only after a crash, "
  "temporary never") {
  auto sup = supervisor::spawn(sys, {},
                               {child("perm", p.handle()),
                                child("trans", p.handle(), restart_type::transient),
                                child("temp", p.handle(), restart_type::temporary)});
  REQUIRE(sup);
  CHECK(started(p, 3) == ids{"perm", "temp", "trans"});
  caf::anon_send(handle_of(sys, *sup, "perm"), std::string{"quit"});
  CHECK(events(p, 1) == std::vector{ev("start", "perm")});
  caf::anon_send(handle_of(sys, *sup, "trans"), std::string{"crash"});
  CHECK(events(p, 1) == std::vector{ev("start", "trans")});
  REQUIRE(subscribe(p, *sup));
  caf::anon_send(handle_of(sys, *sup, "trans"), std::string{"quit"});
  auto quit = troupe::test::next<child_exit>(p);
  CHECK(quit.id == "trans");
  CHECK_FALSE(quit.restarted);
  caf::anon_send(handle_of(sys, *sup, "temp"), std::string{"crash"});
  auto crash = troupe::test::next<child_exit>(p);
  CHECK(crash.id == "temp");
  CHECK_FALSE(crash.restarted);
  // The supervisor acted on both exits before it told the probe: "trans" is stopped, "temp"
  // is gone.
  auto now = children_of(sys, *sup);
  REQUIRE(now.size() == 2);
  CHECK_FALSE(now[1].handle);
  CHECK(now[0].id == "perm");
  CHECK(now[0].restarts == 1);
  CHECK(now[1].id == "trans");
  CHECK(now[1].restarts == 1);
  sys.shutdown();
}

namespace {

/// Asks the actor named `name` for its id, from an actor that sends by name (with its own
/// name cache), and reports ("asked", reply or error text) to `log`.
task asker(co_actor& self, std::string name, caf::actor log) {
  for (;;) {
    auto go = co_await self.receive<std::string>();
    if (go == "done")
      co_return;
    auto reply = co_await self.request<std::string>(name, patience, std::string{"who"});
    self.send(log, std::string{"asked"}, reply ? *reply : caf::to_string(reply.error()));
  }
}

} // namespace

TEST_CASE_FIXTURE(supervisor_fixture,
                  "supervisor: a restarted child gets its name back and senders by name reach it") {
  auto spec = child("echo", p.handle());
  spec.name = "echo";
  auto sup = supervisor::spawn(sys, {}, {spec});
  REQUIRE(sup);
  REQUIRE(subscribe(p, *sup));
  CHECK(started(p, 1) == ids{"echo"});
  auto first = handle_of(sys, *sup, "echo");
  CHECK(troupe::test::resolves_to(sys, "echo", first));
  auto client = sys.spawn(asker, std::string{"echo"}, p.handle());
  caf::anon_send(client, std::string{"go"});
  CHECK(events(p, 1) == std::vector{ev("asked", "echo")});
  for (int round = 0; round < 3; ++round) {
    caf::anon_send(handle_of(sys, *sup, "echo"), std::string{"crash"});
    CHECK(started(p, 1) == ids{"echo"});
    auto exit = troupe::test::next<child_exit>(p);
    CHECK(exit.restarted);
    auto now = handle_of(sys, *sup, "echo");
    CHECK(now != first);
    // The supervisor bound the name before it told the probe; the client, whose cache held
    // the dead incarnation, reaches the new one, and so does a blocking request by name.
    CHECK(troupe::test::resolves_to(sys, "echo", now));
    caf::anon_send(client, std::string{"go"});
    CHECK(events(p, 1) == std::vector{ev("asked", "echo")});
    CHECK(troupe::test::value_or(sys.request<std::string>("echo", patience, std::string{"who"}),
                                 "") == "echo");
  }
  caf::anon_send(client, std::string{"done"});
  sys.shutdown();
}

TEST_CASE_FIXTURE(supervisor_fixture,
                  "supervisor: a nested tree stops in reverse start order, depth first") {
  auto inner = supervisor::spec("inner", {}, {child("w2", p.handle()), child("w3", p.handle())});
  auto root = supervisor::spawn(sys, {}, {child("w1", p.handle()), inner, child("w4", p.handle())});
  REQUIRE(root);
  (*p)->monitor(root->handle());
  CHECK(started(p, 4) == ids{"w1", "w2", "w3", "w4"});
  auto tree = children_of(sys, *root);
  REQUIRE(tree.size() == 3);
  CHECK(tree[1].id == "inner");
  // The inner supervisor is a supervisor too: it answers which_children.
  auto leaves = children_of(sys, supervisor{tree[1].handle});
  REQUIRE(leaves.size() == 2);
  CHECK(leaves[0].id == "w2");
  caf::anon_send_exit(root->handle(), caf::exit_reason::user_shutdown);
  CHECK(events(p, 4) ==
        std::vector{ev("stop", "w4"), ev("stop", "w3"), ev("stop", "w2"), ev("stop", "w1")});
  CHECK(troupe::test::next_down(p, root->handle().address()) == caf::exit_reason::user_shutdown);
}

namespace {

/// A child that, told to stop, reports ("stop", id) to `log` and ends only on "go": the
/// supervisor is busy stopping it until then.
task lingering(co_actor& self, std::string id, caf::actor log) {
  self.trap_exit(true);
  self.send(log, std::string{"start"}, id);
  (void)co_await self.receive<caf::exit_msg>();
  self.send(log, std::string{"stop"}, id);
  for (;;) {
    auto cmd = co_await self.receive<std::string>();
    if (cmd == "go")
      co_return;
  }
}

/// A `child` whose incarnations the probe monitors before the supervisor does: an exiting
/// actor tells its newest monitor first, so once the probe has the down message, the
/// supervisor's is in its mailbox.
child_spec watched_child(std::string id, probe& p) {
  child_spec spec;
  spec.id = id;
  spec.start = [id, &p](troupe::system& sys, std::string_view) -> caf::expected<caf::actor> {
    auto handle = sys.spawn(worker, id, p.handle());
    (*p)->monitor(handle);
    return handle;
  };
  return spec;
}

} // namespace

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: a child that exits on its own while another is being stopped does not "
  "hold up the stop") {
  auto a = watched_child("a", p);
  auto b = child("b", p.handle());
  auto c = worker_spec("c", lingering, std::string{"c"}, p.handle());
  // Waiting out a shutdown time would fail the test: patience is shorter (and the system's
  // shutdown at the end waits for no more than twice this after such a failure).
  for (auto* spec : {&a, &b, &c})
    spec->shutdown = std::chrono::seconds{15};
  auto sup = supervisor::spawn(sys, {}, {a, b, c});
  REQUIRE(sup);
  CHECK(started(p, 3) == ids{"a", "b", "c"});
  auto first = handle_of(sys, *sup, "a");
  auto last = handle_of(sys, *sup, "c");
  (*p)->monitor(sup->handle());
  // The supervisor stops c first and waits for it; meanwhile a dies on its own, as children do
  // when system::shutdown tells every actor to stop.
  caf::anon_send_exit(sup->handle(), caf::exit_reason::user_shutdown);
  CHECK(troupe::test::next<event>(p) == ev("stop", "c"));
  caf::anon_send_exit(first, caf::exit_reason::kill);
  CHECK(troupe::test::next_down(p, first.address()) == caf::exit_reason::kill);
  caf::anon_send(last, std::string{"go"});
  // a's down message came while c was being stopped: the supervisor already has it when it
  // comes to a, and does not wait a's shutdown time for another one.
  CHECK(troupe::test::next<event>(p) == ev("stop", "b"));
  CHECK(troupe::test::next_down(p, sup->handle().address()) == caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(supervisor_fixture,
                  "supervisor: a crashed nested supervisor is restarted with its children") {
  supervisor_flags strict;
  strict.intensity = 0;
  auto inner = supervisor::spec("inner", strict, {child("w2", p.handle())});
  auto root = supervisor::spawn(sys, {}, {child("w1", p.handle()), inner});
  REQUIRE(root);
  REQUIRE(subscribe(p, *root));
  CHECK(started(p, 2) == ids{"w1", "w2"});
  caf::anon_send(handle_of(sys, supervisor{handle_of(sys, *root, "inner")}, "w2"),
                 std::string{"crash"});
  // The inner supervisor gives up at once (intensity 0); the root restarts it, and it starts w2.
  CHECK(started(p, 1) == ids{"w2"});
  auto exit = troupe::test::next<child_exit>(p);
  CHECK(exit.id == "inner");
  CHECK(troupe::actors::is(exit.reason, supervisor_error::restart_intensity_exceeded));
  CHECK(exit.restarted);
  sys.shutdown();
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: start_child, terminate_child, restart_child, delete_child and which_children") {
  auto sup = supervisor::spawn(sys, {}, {child("a", p.handle())});
  REQUIRE(sup);
  CHECK(started(p, 1) == ids{"a"});
  auto h = sup->handle();
  auto added = sys.request<caf::actor>(h, patience, supervisor::start_child_atom::value,
                                       child("b", p.handle()));
  REQUIRE(added);
  CHECK(started(p, 1) == ids{"b"});
  CHECK(handle_of(sys, *sup, "b") == *added);
  CHECK(sys.request<>(h, patience, supervisor::terminate_child_atom::value, std::string{"b"}));
  CHECK(events(p, 1) == std::vector{ev("stop", "b")});
  auto listed = children_of(sys, *sup);
  REQUIRE(listed.size() == 2);
  CHECK_FALSE(listed[1].handle);
  auto again =
    sys.request<caf::actor>(h, patience, supervisor::restart_child_atom::value, std::string{"b"});
  REQUIRE(again);
  CHECK(started(p, 1) == ids{"b"});
  CHECK(sys.request<>(h, patience, supervisor::terminate_child_atom::value, std::string{"b"}));
  CHECK(events(p, 1) == std::vector{ev("stop", "b")});
  CHECK(sys.request<>(h, patience, supervisor::delete_child_atom::value, std::string{"b"}));
  CHECK(children_of(sys, *sup).size() == 1);
  sys.shutdown();
}

TEST_CASE_FIXTURE(supervisor_fixture,
                  "supervisor: each child management error is reported and harms nothing") {
  auto sup = supervisor::spawn(sys, {}, {child("a", p.handle())});
  REQUIRE(sup);
  CHECK(started(p, 1) == ids{"a"});
  auto h = sup->handle();
  auto is = [](const caf::error& err, supervisor_error x) { return troupe::actors::is(err, x); };
  auto start = [&](child_spec spec) {
    return troupe::test::error_of(
      sys.request<caf::actor>(h, patience, supervisor::start_child_atom::value, std::move(spec)));
  };
  CHECK(is(start(child("a", p.handle())), supervisor_error::duplicate_child));
  CHECK(is(start(child("", p.handle())), supervisor_error::invalid_child_spec));
  child_spec no_start;
  no_start.id = "x";
  CHECK(is(start(no_start), supervisor_error::invalid_child_spec));
  auto failing = no_start;
  failing.start = [](troupe::system&, std::string_view) -> caf::expected<caf::actor> {
    return caf::make_error(caf::sec::invalid_argument, "no disk");
  };
  auto err = start(failing);
  CHECK(is(err, supervisor_error::start_failed));
  CHECK(troupe::test::context_of(err).find("no disk") != std::string::npos);
  auto taken = child("y", p.handle());
  taken.name = "taken";
  REQUIRE(sys.register_name("taken", p.handle()) == caf::none);
  CHECK(is(start(taken), supervisor_error::start_failed));
  auto bad_name = child("z", p.handle());
  bad_name.name = "a@b";
  CHECK(start(bad_name) == troupe::make_error(troupe::error_code::invalid_name));
  for (caf::atom_value op : std::vector<caf::atom_value>{supervisor::terminate_child_atom::value,
                                                         supervisor::delete_child_atom::value}) {
    auto unknown = sys.request<>(h, patience, op, std::string{"nobody"});
    CHECK(is(troupe::test::error_of(unknown), supervisor_error::unknown_child));
  }
  auto running = sys.request<>(h, patience, supervisor::delete_child_atom::value, std::string{"a"});
  CHECK(is(troupe::test::error_of(running), supervisor_error::child_running));
  auto restart =
    sys.request<caf::actor>(h, patience, supervisor::restart_child_atom::value, std::string{"a"});
  CHECK(is(troupe::test::error_of(restart), supervisor_error::child_running));
  // Nothing of this touched the running child or the list.
  auto listed = children_of(sys, *sup);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].restarts == 0);
  CHECK(troupe::test::value_or(
          sys.request<std::string>(listed[0].handle, patience, std::string{"who"}), "") == "a");
  sys.shutdown();
}

TEST_CASE_FIXTURE(
  supervisor_fixture,
  "supervisor: bad flags or specs are refused at spawn, a failed start stops the rest") {
  supervisor_flags no_period;
  no_period.period = caf::timespan{0};
  auto is = [](const caf::error& err, supervisor_error x) { return troupe::actors::is(err, x); };
  CHECK(is(troupe::test::error_of(supervisor::spawn(sys, no_period, {})),
           supervisor_error::invalid_child_spec));
  CHECK(is(troupe::test::error_of(
             supervisor::spawn(sys, {}, {child("a", p.handle()), child("a", p.handle())})),
           supervisor_error::invalid_child_spec));
  child_spec failing;
  failing.id = "bad";
  failing.start = [](troupe::system&, std::string_view) -> caf::expected<caf::actor> {
    return caf::make_error(caf::sec::invalid_argument, "no disk");
  };
  auto sup = supervisor::spawn(sys, {}, {child("a", p.handle()), failing, child("c", p.handle())});
  REQUIRE(sup);
  (*p)->monitor(sup->handle());
  CHECK(events(p, 2) == std::vector{ev("start", "a"), ev("stop", "a")});
  auto reason = troupe::test::next_down(p, sup->handle().address());
  CHECK(is(reason, supervisor_error::start_failed));
  CHECK(troupe::test::context_of(reason).find("child 'bad'") != std::string::npos);
}

TEST_CASE_FIXTURE(supervisor_fixture,
                  "supervisor: a killed supervisor takes its running children with it") {
  auto sup = supervisor::spawn(sys, {}, {child("a", p.handle()), child("b", p.handle())});
  REQUIRE(sup);
  CHECK(started(p, 2) == ids{"a", "b"});
  auto kids = children_of(sys, *sup);
  for (auto& kid : kids)
    (*p)->monitor(kid.handle);
  caf::anon_send_exit(sup->handle(), caf::exit_reason::kill);
  for (int i = 0; i < 2; ++i)
    CHECK(troupe::test::next<caf::down_msg>(p).reason == caf::exit_reason::kill);
}
