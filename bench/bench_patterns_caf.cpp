/// bench_patterns_caf: the shared-dictionary case of bench_patterns_troupe written in plain CAF.
///
/// The same shape as troupe's `shared_dict`: the same dynamically typed values, the same number
/// of shard actors chosen by the same hash of the key, clients that send straight to the key's
/// shard and await each answer (`request(...).then(...)`), the same operations replayed from the
/// same seeds. What it leaves out is troupe's: coroutine clients and the insertion stamps that
/// order a snapshot. The pool and hedge cases have no CAF counterpart (they compare troupe with
/// itself and with Python). Prints one JSON line; bench/README.md describes it.

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "patterns_harness.hpp"

namespace {

using bench::patterns::options;

/// troupe::actors::value: None, a bool, an integer, a float or a string.
using value = std::variant<std::monostate, bool, int64_t, double, std::string>;

} // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(value)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<value>)

namespace {

using get_atom = caf::atom_constant<caf::atom("get")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using size_atom = caf::atom_constant<caf::atom("size")>;

struct shard_state {
  std::unordered_map<value, value> items;
};

/// One shard of the dictionary.
caf::behavior shard(caf::stateful_actor<shard_state>* self) {
  auto& items = self->state.items;
  return {
    [&items](get_atom, const value& key) -> std::optional<value> {
      auto i = items.find(key);
      if (i == items.end())
        return std::nullopt;
      return i->second;
    },
    [&items](put_atom, value& key, value& val) { items.insert_or_assign(std::move(key), std::move(val)); },
    [&items](size_atom) { return static_cast<uint64_t>(items.size()); },
  };
}

using workload = bench::patterns::dict_workload;

/// A client: its operations one at a time, each answer awaited before the next request.
class dict_client : public caf::event_based_actor {
public:
  dict_client(caf::actor_config& cfg, std::vector<caf::actor> shards, caf::actor main,
              options o, size_t me)
    : caf::event_based_actor(cfg), shards_(std::move(shards)), main_(std::move(main)), o_(o),
      me_(me), ops_(o, me) {}

  caf::behavior make_behavior() override {
    next();
    return {[](caf::unit_t) {}};
  }

private:
  const caf::actor& shard_for(const value& key) const {
    return shards_[std::hash<value>{}(key) % shards_.size()];
  }

  void next() {
    if (done_ == static_cast<int64_t>(o_.ops)) {
      send(main_, bench::patterns::dict_done_tag(me_), done_);
      send(main_, bench::patterns::dict_bad_tag(me_), bad_);
      quit();
      return;
    }
    auto op = ops_.next();
    auto on_error = [this](caf::error&) {
      ++bad_;
      ++done_;
      next();
    };
    value key{op.key};
    auto timeout = o_.request_timeout_ms > 0
                     ? caf::duration{std::chrono::milliseconds(o_.request_timeout_ms)}
                     : caf::infinite;
    if (!op.read) {
      request(shard_for(key), timeout, put_atom::value, key, value{op.val})
        .then([this] { ++done_, next(); }, on_error);
      return;
    }
    request(shard_for(key), timeout, get_atom::value, key)
      .then(
        [this, key = op.key](std::optional<value>& got) {
          if (got && !workload::belongs_to(std::get<int64_t>(*got), key))
            ++bad_;
          ++done_;
          next();
        },
        on_error);
  }

  std::vector<caf::actor> shards_;
  caf::actor main_;
  options o_;
  size_t me_;
  workload ops_;
  int64_t done_ = 0;
  int64_t bad_ = 0;
};

bench::result run_dict(caf::actor_system& sys, const options& o) {
  bench::result res;
  res.unit = "ops/s";
  std::vector<caf::actor> shards;
  for (size_t s = 0; s < o.shards; ++s)
    shards.push_back(sys.spawn(shard));
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  for (size_t c = 0; c < o.clients; ++c)
    sys.spawn<dict_client>(shards, caf::actor{main}, o, c);
  bench::options wait{};
  wait.timeout = o.timeout;
  auto got = bench::await_reports(main, 2 * o.clients, clock, wait, res);
  clock.stop(res);
  res.units = static_cast<double>(o.clients * o.ops);
  if (res.timed_out)
    return res;
  auto size = bench::patterns::dict_size<size_atom>(main, shards, o, res);
  bench::patterns::check_dict(res, got, o, size);
  for (auto& s : shards)
    main->send_exit(s, caf::exit_reason::user_shutdown);
  return res;
}

} // namespace

int main(int argc, char** argv) {
  bench::patterns::config<caf::actor_system_config> cfg;
  if (auto code = bench::patterns::parse(cfg, argc, argv))
    return *code;
  if (cfg.opts.case_name != "dict") {
    std::cerr << "error: bench_patterns_caf has only the dict case ('" << cfg.opts.case_name
              << "' compares troupe with itself and Python)\n";
    return 64;
  }
  caf::actor_system sys{cfg};
  auto res = run_dict(sys, cfg.opts);
  auto code = bench::patterns::report("caf", cfg.opts, sys, res);
  if (res.timed_out)
    std::_Exit(code); // the actors may still run: do not wait for them
  return code;
}
