// The documents' Manager() example on a troupe::actors::shared_dict and shared_list, then a
// concurrent load. Run with --help.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>

#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/actors/shared_dict.hpp>
#include <troupe/actors/shared_list.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::dict_items;
using troupe::actors::list_items;
using troupe::actors::repr;
using troupe::actors::shared_dict;
using troupe::actors::shared_list;
using troupe::actors::value;

constexpr const char* description =
  "shared_dict: Python's Manager().dict() and Manager().list() as actors.\n"
  "\n"
  "First the documents' program: one actor (the Python original's Process) sets\n"
  "d[1] = '一', d['二'] = 2, d[0.25] = None and reverses list(range(10)); the main actor\n"
  "waits for it (p.join()) and prints both as Python does:\n"
  "  {1: '一', '二': 2, 0.25: None}\n"
  "  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]\n"
  "Then a load: --clients actors make --ops operations each on a dictionary of --shards\n"
  "shards (--reads percent gets, the rest puts, over --keys keys) and each adds 1 to the key\n"
  "'counter' --increments times with compare-and-set; the summary shows the operations per\n"
  "second and that no increment was lost (counter == clients * increments).\n"
  "\n"
  "usage: shared_dict [--clients=8] [--ops=20000] [--shards=4] [--keys=1000] [--reads=90]\n"
  "                   [--increments=100]\n";

struct sample_config : troupe::config {
  int32_t clients = 8;
  int32_t ops = 20000;
  int32_t shards = 4;
  int32_t keys = 1000;
  int32_t reads = 90;
  int32_t increments = 100;

  sample_config() {
    opt_group{custom_options_, "global"}
      .add(clients, "clients", "concurrent clients of the load (default 8)")
      .add(ops, "ops", "operations per client (default 20000)")
      .add(shards, "shards", "shard actors of the dictionary (default 4)")
      .add(keys, "keys", "distinct keys of the load (default 1000)")
      .add(reads, "reads", "percent of gets (default 90)")
      .add(increments, "increments", "compare-and-set increments per client (default 100)");
  }
};

/// The documents' modify_shared_objects(shared_dict, shared_list).
troupe::task modify_shared_objects(troupe::co_actor& self, shared_dict d, shared_list l) {
  (void)co_await d.put(self, int64_t{1}, std::string{"一"});
  (void)co_await d.put(self, std::string{"二"}, int64_t{2});
  (void)co_await d.put(self, 0.25, std::monostate{});
  (void)co_await l.reverse(self);
}

/// The documents' main: starts the "process", joins it, prints the shared objects.
troupe::task manager_main(troupe::co_actor& self, shared_dict d, shared_list l) {
  auto p = self.spawn(modify_shared_objects, d, l);
  self.monitor(p);
  (void)co_await self.receive<caf::down_msg>(); // p.join()
  auto dict = co_await d.snapshot(self);
  auto list = co_await l.snapshot(self);
  std::cout << (dict ? repr(*dict) : caf::to_string(dict.error())) << '\n'
            << (list ? repr(*list) : caf::to_string(list.error())) << '\n';
}

/// What one load client does.
struct load {
  int32_t ops;
  int32_t keys;
  int32_t reads;
  int32_t increments;
};

troupe::task load_client(troupe::co_actor& self, shared_dict d, load cfg, uint32_t seed,
                         caf::actor done) {
  std::mt19937 rng{seed};
  int64_t failures = 0;
  for (int32_t i = 0; i < cfg.ops; ++i) {
    value key{static_cast<int64_t>(rng() % static_cast<uint32_t>(cfg.keys))};
    if (static_cast<int32_t>(rng() % 100) < cfg.reads) {
      failures += (co_await d.get(self, key)) ? 0 : 1;
    } else {
      failures += (co_await d.put(self, key, value{int64_t{i}})) ? 0 : 1;
    }
  }
  value counter{std::string{"counter"}};
  for (int32_t i = 0; i < cfg.increments; ++i) {
    for (;;) {
      auto cur = co_await d.get(self, counter);
      if (!cur) {
        ++failures;
        break;
      }
      auto n = *cur ? std::get<int64_t>(**cur) : int64_t{0};
      auto swapped = co_await d.compare_and_set(self, counter, *cur, value{n + 1});
      if (!swapped) {
        ++failures;
        break;
      }
      if (*swapped)
        break; // another client changed it meanwhile: read again
    }
  }
  self.send(done, failures);
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  if (cfg.clients < 1 || cfg.ops < 0 || cfg.shards < 1 || cfg.keys < 1 || cfg.reads < 0 ||
      cfg.reads > 100 || cfg.increments < 0) {
    std::cerr << "shared_dict: --clients, --shards, --keys must be >= 1, --reads in 0..100\n";
    return 2;
  }
  troupe::system sys{cfg};
  {
    auto d = shared_dict::spawn(sys, 1);
    list_items ten;
    for (int64_t i = 0; i < 10; ++i)
      ten.emplace_back(i);
    auto l = shared_list::spawn(sys, std::move(ten));
    caf::scoped_actor self{sys.engine()};
    auto m = sys.spawn(manager_main, *d, l);
    self->monitor(m);
    self->receive([](caf::down_msg&) {});
  }
  auto d = shared_dict::spawn(sys, static_cast<size_t>(cfg.shards));
  int64_t failures = 0;
  auto t0 = std::chrono::steady_clock::now();
  {
    caf::scoped_actor self{sys.engine()};
    for (int32_t c = 0; c < cfg.clients; ++c)
      sys.spawn(load_client, *d, load{cfg.ops, cfg.keys, cfg.reads, cfg.increments},
                static_cast<uint32_t>(c + 1), caf::actor{self});
    for (int32_t c = 0; c < cfg.clients; ++c)
      self->receive([&](int64_t f) { failures += f; });
  }
  std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  auto counter = sys.request<std::optional<value>>(
    d->shard_for(value{std::string{"counter"}}), std::chrono::seconds{5},
    shared_dict::get_atom::value, value{std::string{"counter"}});
  int64_t final_count = counter && *counter ? std::get<int64_t>(**counter) : 0;
  int64_t expected = static_cast<int64_t>(cfg.clients) * cfg.increments;
  auto total_ops = static_cast<double>(cfg.clients) * cfg.ops;
  std::cout << "summary: clients=" << cfg.clients << " shards=" << cfg.shards
            << " ops=" << static_cast<int64_t>(total_ops) << " reads=" << cfg.reads << "%"
            << " ops_per_s=" << static_cast<int64_t>(total_ops / secs.count())
            << " counter=" << final_count << " expected=" << expected
            << " lost_increments=" << (expected - final_count) << " failures=" << failures << '\n';
  return final_count == expected && failures == 0 ? 0 : 1;
}
