// A node that serves pattern actors to remote clients for the multi-process tests (the Python
// client's among them): it listens where told (troupe.net.listen), prints "endpoint <bound
// endpoint>", serves a bounded buffer named "buffer" (capacity --capacity, default 4), and shuts
// down when its stdin closes, so it never outlives a test that forgot it.

#include <iostream>
#include <string>

#include "troupe/actors/bounded_buffer.hpp"
#include "troupe/actors/protocols.hpp"
#include "troupe/net/net.hpp"
#include "troupe/system.hpp"

namespace {

struct server_config : troupe::config {
  int64_t capacity = 4;

  server_config() {
    opt_group{custom_options_, "global"}.add(capacity, "capacity", "the buffer's capacity");
  }
};

} // namespace

int main(int argc, char** argv) {
  server_config cfg;
  troupe::net::type_registry types;
  if (auto err = troupe::actors::register_protocols(types)) {
    std::cerr << "pattern_server: cannot register the protocols\n";
    return 1;
  }
  troupe::net::enable(cfg, std::move(types));
  if (auto done = cfg.parse_command_line(argc, argv, "Serves pattern actors to remote clients.\n"))
    return *done;
  troupe::system sys{cfg};
  auto* node = troupe::net::node_of(sys);
  if (node == nullptr || node->endpoints().empty()) {
    std::cerr << "pattern_server: not listening (set --troupe.net.listen)\n";
    return 1;
  }
  auto buffer = troupe::actors::bounded_buffer::spawn(sys, static_cast<size_t>(cfg.capacity));
  if (!buffer || sys.register_name("buffer", buffer->handle())) {
    std::cerr << "pattern_server: cannot start the buffer\n";
    return 1;
  }
  std::cout << "endpoint " << node->endpoints().front() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    // Input is ignored; end of input ends the node.
  }
  sys.shutdown();
  return 0;
}
