// Producer/consumer over a bounded buffer, after the documents' asyncio program
// (asyncio.Queue(maxsize=10), one producer of 5 items, one consumer, None as the stop signal,
// join), and a throughput mode with many producers and consumers. Run with --help.

#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/actors/bounded_buffer.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::bounded_buffer;

constexpr const char* program = "producer_consumer";

constexpr const char* description =
  "producer_consumer: producers and consumers share a troupe::actors::bounded_buffer.\n"
  "\n"
  "By default it runs the documents' asyncio program: a buffer of capacity 10, a producer\n"
  "that makes 5 items (sleeping one tick before each), puts None as the stop signal and\n"
  "joins the buffer, and a consumer that takes items (sleeping one tick to consume each)\n"
  "until None. It prints the Python original's lines in the same order, then the elapsed\n"
  "seconds. --tick=1s runs at the original's pace. Like asyncio's event loop, this mode\n"
  "runs the actors on one worker (scheduler.policy=sharing, max-threads=1).\n"
  "\n"
  "With --producers, --consumers, --items or --capacity it runs the throughput mode: P\n"
  "producers put N items each into a buffer of capacity K, C consumers take them and mark\n"
  "them done; the summary line shows that every item was consumed exactly once, the peak\n"
  "buffer size, how many puts waited for room, and items/s.\n"
  "\n"
  "usage: producer_consumer [--tick=20ms]\n"
  "       producer_consumer --producers=P --consumers=C --items=N --capacity=K\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct sample_config : troupe::config {
  caf::timespan tick = std::chrono::milliseconds{20};
  int32_t producers = 0;
  int32_t consumers = 0;
  int32_t items = 0;
  int32_t capacity = 0;

  sample_config() {
    troupe::actors::add_error_names(*this);
    opt_group{custom_options_, "global"}
      .add(tick, "tick", "one sleep of the original program (default 20ms; 1s is its pace)")
      .add(producers, "producers", "throughput mode: number of producers (default 4)")
      .add(consumers, "consumers", "throughput mode: number of consumers (default 4)")
      .add(items, "items", "throughput mode: items per producer (default 10000)")
      .add(capacity, "capacity", "throughput mode: buffer capacity (default 50)");
  }

  bool throughput_mode() const { return producers || consumers || items || capacity; }
};

/// The stop signal the producer puts after its items, as the original puts None.
using none_atom = caf::atom_constant<caf::atom("None")>;

/// Prints `line` in a single write, so that lines of concurrent actors never tear.
void print_line(std::string line) {
  line += '\n';
  std::cout << line << std::flush;
}

/// Sleeps one tick: a receive that nothing matches, with a timeout. No worker is blocked.
auto sleep_for(troupe::co_actor& self, caf::timespan tick) {
  return self.receive<none_atom>(tick);
}

/// How long a take or put of the original program may wait: far longer than it ever does.
caf::timespan wait_limit(caf::timespan tick) {
  return std::max<caf::timespan>(std::chrono::seconds{10}, 10 * tick);
}

// -- the original program --------------------------------------------------------------------

troupe::task consumer(troupe::co_actor& self, bounded_buffer q, caf::timespan tick) {
  print_line("consumer starts.");
  for (;;) {
    auto item = co_await q.take<caf::message>(self, wait_limit(tick));
    if (!item)
      throw std::runtime_error("take: " + caf::to_string(item.error()));
    if (item->match_elements<none_atom>()) {
      // task_done without waiting for its answer, as asyncio's q.task_done() is immediate.
      self.send(q.handle(), bounded_buffer::task_done_atom::value);
      break;
    }
    co_await sleep_for(self, tick);
    print_line("consume " + std::to_string(item->get_as<int32_t>(0)));
    self.send(q.handle(), bounded_buffer::task_done_atom::value);
  }
  print_line("consumer ends.");
}

troupe::task producer(troupe::co_actor& self, bounded_buffer q, caf::timespan tick) {
  print_line("producer starts.");
  for (int32_t i = 0; i < 5; ++i) {
    co_await sleep_for(self, tick);
    print_line("produce " + std::to_string(i));
    if (auto put = co_await q.put(self, i, wait_limit(tick)); !put)
      throw std::runtime_error("put: " + caf::to_string(put.error()));
  }
  if (auto put = co_await q.put(self, none_atom::value, wait_limit(tick)); !put)
    throw std::runtime_error("put: " + caf::to_string(put.error()));
  if (auto joined = co_await q.join(self, wait_limit(tick)); !joined)
    throw std::runtime_error("join: " + caf::to_string(joined.error()));
  print_line("producer ends.");
}

/// Waits for the down messages of `actors`; returns the first failure.
caf::error await_down(caf::scoped_actor& self, const std::vector<caf::actor>& actors) {
  for (auto& a : actors)
    self->monitor(a);
  caf::error failure;
  for (size_t i = 0; i < actors.size(); ++i)
    self->receive([&](caf::down_msg& down) {
      if (down.reason && !failure)
        failure = std::move(down.reason);
    });
  return failure;
}

std::string seconds_since(std::chrono::steady_clock::time_point t0) {
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - t0;
  std::ostringstream out;
  out << std::setprecision(17) << elapsed.count() << " s";
  return out.str();
}

int run_original(troupe::system& sys, const sample_config& cfg) {
  auto t0 = std::chrono::steady_clock::now();
  auto q = bounded_buffer::spawn(sys, 10);
  if (!q) {
    std::cerr << program << ": " << sys.engine().render(q.error()) << "\n";
    return 1;
  }
  caf::scoped_actor self{sys.engine()};
  // Spawned in the original's order: the producer's first step runs first.
  auto p = sys.spawn(producer, *q, cfg.tick);
  auto c = sys.spawn(consumer, *q, cfg.tick);
  if (auto err = await_down(self, {p, c})) {
    std::cerr << program << ": an actor failed: " << sys.engine().render(err) << "\n";
    return 1;
  }
  print_line(seconds_since(t0));
  return 0;
}

// -- throughput mode --------------------------------------------------------------------------

troupe::task mass_producer(troupe::co_actor& self, bounded_buffer q, int32_t me, int32_t items) {
  for (int32_t i = 0; i < items; ++i)
    if (auto put = co_await q.put(self, int64_t{me} * items + i); !put)
      throw std::runtime_error("put: " + caf::to_string(put.error()));
}

/// Takes until the stream ends; reports every item it took.
troupe::task mass_consumer(troupe::co_actor& self, bounded_buffer q, caf::actor collector) {
  std::vector<int64_t> got;
  for (;;) {
    auto x = co_await q.take<int64_t>(self);
    if (!x) {
      if (!troupe::actors::is(x.error(), troupe::actors::actors_error::end_of_stream))
        throw std::runtime_error("take: " + caf::to_string(x.error()));
      break;
    }
    got.push_back(*x);
    if (auto done = co_await q.task_done(self); !done)
      throw std::runtime_error("task_done: " + caf::to_string(done.error()));
  }
  self.send(collector, std::move(got));
}

int run_throughput(troupe::system& sys, sample_config& cfg) {
  auto producers = cfg.producers > 0 ? cfg.producers : 4;
  auto consumers = cfg.consumers > 0 ? cfg.consumers : 4;
  auto items = cfg.items > 0 ? cfg.items : 10000;
  auto capacity = cfg.capacity > 0 ? cfg.capacity : 50;
  auto q = bounded_buffer::spawn(sys, static_cast<size_t>(capacity));
  if (!q) {
    std::cerr << program << ": " << sys.engine().render(q.error()) << "\n";
    return 1;
  }
  caf::scoped_actor self{sys.engine()};
  auto collector = caf::actor_cast<caf::actor>(self);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<caf::actor> makers;
  std::vector<caf::actor> takers;
  for (int32_t c = 0; c < consumers; ++c)
    takers.push_back(sys.spawn(mass_consumer, *q, collector));
  for (int32_t p = 0; p < producers; ++p)
    makers.push_back(sys.spawn(mass_producer, *q, p, items));
  if (auto err = await_down(self, makers)) {
    std::cerr << program << ": a producer failed: " << sys.engine().render(err) << "\n";
    return 1;
  }
  caf::error failure;
  self->request(q->handle(), caf::infinite, bounded_buffer::join_atom::value)
    .receive([] {}, [&](caf::error& err) { failure = err; });
  self->request(q->handle(), caf::infinite, bounded_buffer::close_atom::value)
    .receive([] {}, [&](caf::error& err) { failure = err; });
  const auto total = static_cast<size_t>(producers) * static_cast<size_t>(items);
  std::vector<uint8_t> seen(total, 0);
  size_t consumed = 0;
  size_t out_of_range = 0;
  for (int32_t c = 0; c < consumers; ++c)
    self->receive([&](std::vector<int64_t>& got) {
      consumed += got.size();
      for (auto x : got) {
        if (x < 0 || static_cast<size_t>(x) >= total)
          ++out_of_range;
        else if (seen[static_cast<size_t>(x)] < 255)
          ++seen[static_cast<size_t>(x)];
      }
    });
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  troupe::actors::buffer_stats stats;
  self->request(q->handle(), caf::infinite, bounded_buffer::stats_atom::value)
    .receive([&](troupe::actors::buffer_stats& s) { stats = s; },
             [&](caf::error& err) { failure = err; });
  if (failure) {
    std::cerr << program << ": " << sys.engine().render(failure) << "\n";
    return 1;
  }
  size_t once = 0;
  for (auto n : seen)
    once += n == 1 ? 1 : 0;
  bool exactly_once = once == total && consumed == total && out_of_range == 0;
  std::ostringstream line;
  line << "summary: producers=" << producers << " consumers=" << consumers << " items=" << total
       << " consumed=" << consumed << " exactly_once=" << (exactly_once ? "yes" : "no")
       << " capacity=" << capacity << " peak=" << stats.high_water
       << " put_waits=" << stats.put_waits
       << " items_per_s=" << static_cast<int64_t>(total / elapsed);
  print_line(line.str());
  return exactly_once ? 0 : 1;
}

/// Parses the command line. Returns the exit code if the program should stop now.
std::optional<int> parse(sample_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  for (auto [value, name] : {std::pair{cfg.producers, "producers"},
                             {cfg.consumers, "consumers"},
                             {cfg.items, "items"},
                             {cfg.capacity, "capacity"}}) {
    if (value < 0) {
      std::cerr << program << ": --" << name << " must be >= 1, got " << value << "; see --help\n";
      return 2;
    }
  }
  if (cfg.tick.count() < 0) {
    std::cerr << program << ": --tick must not be negative; see --help\n";
    return 2;
  }
  if (!cfg.throughput_mode()) {
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", 1);
  }
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  auto code = cfg.throughput_mode() ? run_throughput(sys, cfg) : run_original(sys, cfg);
  if (code != 0)
    sys.shutdown();
  return code;
}
