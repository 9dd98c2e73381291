// A user's test with troupe::testing: a receive timeout of an hour fires in virtual time.
// Exits 0 and prints "consumer: deterministic ok" when it did.

#include <chrono>
#include <cstdio>
#include <string>

#include <troupe/testing/deterministic_system.hpp>

int main() {
  using namespace std::chrono_literals;
  troupe::testing::deterministic_system sys{1};
  auto out = sys.sink();
  sys.spawn(
    [](troupe::co_actor& self, caf::actor out) -> troupe::task {
      auto x = co_await self.receive<int>(1h);
      self.send(out, std::string{x ? "value" : "timeout"});
    },
    out);
  sys.run();
  sys.advance_time(1h);
  sys.run();
  auto got = sys.received_of<std::string>(out);
  if (got.size() != 1 || got[0] != "timeout") {
    std::fprintf(stderr, "consumer: the virtual timeout did not fire\n");
    return 1;
  }
  std::puts("consumer: deterministic ok");
  return 0;
}
