#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/io/middleman.hpp>
#include <caf/message.hpp>
#include <caf/settings.hpp>

#include "engine_thread.hpp"
#include "node_state.hpp"
#include "shared_io_loop.hpp"
#include "troupe/config.hpp"
#include "troupe/error.hpp"
#include "troupe/net/net.hpp"
#include "troupe/system.hpp"

namespace troupe::net {

namespace {

using namespace std::chrono_literals;

/// Reaches CAF's option set of a config from outside its class hierarchy (it is protected and
/// has no accessor in CAF 0.17): through a member pointer named in a derived class.
struct option_access : caf::actor_system_config {
  static caf::config_option_set& of(caf::actor_system_config& cfg) {
    return cfg.*(&option_access::custom_options_);
  }
};

void add_options(troupe::config& cfg) {
  caf::config_option_adder{option_access::of(cfg), "troupe.net"}
    .add<std::string>("listen", "endpoint to listen on at start (127.0.0.1:0, unix:/path)")
    .add<std::string>("secret-file", "file with the shared secret peers must prove")
    .add<caf::timespan>("heartbeat-interval", "time between heartbeats (default 1 s)")
    .add<caf::timespan>("peer-timeout", "silence after which a peer is lost (default 4 s)")
    .add<caf::timespan>("handshake-timeout", "time a connection has to shake hands (5 s)")
    .add<size_t>("max-frame-size", "largest frame in bytes (default 16 MiB)")
    .add<size_t>("high-watermark", "queued bytes per peer above which senders wait (4 MiB)")
    .add<size_t>("low-watermark", "queued bytes per peer below which they resume (1 MiB)")
    .add<caf::timespan>("send-timeout", "how long a sender outside actors waits for room (10 s)")
    .add<caf::timespan>("reconnect-delay", "first delay before reconnecting (250 ms)")
    .add<caf::timespan>("reconnect-cap", "longest delay between reconnect attempts (5 s)")
    .add<bool>("deliver-on-workers",
               "run every actor a network message wakes on CAF's workers, never on the thread "
               "that read the message (CAF's own loop with one I/O thread)")
    .add<size_t>("inbox-high-watermark",
                 "messages from one peer waiting in local mailboxes above which it is not read")
    .add<size_t>("inbox-low-watermark", "... and below which it is read again");
}

std::chrono::milliseconds millis(const caf::actor_system_config& cfg, const char* name,
                                 std::chrono::milliseconds fallback) {
  auto value = caf::get_or(cfg, name, caf::timespan{fallback});
  return std::chrono::duration_cast<std::chrono::milliseconds>(value);
}

uint64_t fresh_incarnation() {
  std::random_device rd;
  uint64_t result = 0;
  while (result == 0)
    result = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return result;
}

/// The secret in `path` (a trailing newline is not part of it). A file that cannot be read
/// must not leave the node open: it then gets a random secret nobody knows, and says so.
std::string read_secret(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::string secret{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  if (in.bad() || !in.is_open() || secret.empty()) {
    std::cerr << "[troupe.net] cannot read a secret from '" << path << "': refusing every peer\n";
    return std::to_string(fresh_incarnation()) + std::to_string(fresh_incarnation());
  }
  return secret;
}

/// Renders the network layer's errors as "troupe_net::node_down (127.0.0.1:4000: ...)".
std::string render_net_error(uint8_t code, caf::atom_value, const caf::message& context) {
  return troupe::render_error("troupe_net::" + to_string(static_cast<error_code>(code)), context);
}

detail::node_settings read_settings(const caf::actor_system_config& cfg) {
  detail::node_settings s;
  auto& p = s.protocol;
  p.incarnation = fresh_incarnation();
  if (auto path = caf::get_or(cfg, "troupe.net.secret-file", std::string{}); !path.empty())
    p.secret = read_secret(path);
  p.max_frame_size =
    static_cast<uint32_t>(caf::get_or(cfg, "troupe.net.max-frame-size", size_t{p.max_frame_size}));
  p.heartbeat_interval = millis(cfg, "troupe.net.heartbeat-interval", p.heartbeat_interval);
  p.silence_bound = millis(cfg, "troupe.net.peer-timeout", p.silence_bound);
  p.handshake_timeout = millis(cfg, "troupe.net.handshake-timeout", p.handshake_timeout);
  auto& w = s.window;
  w.high_watermark = caf::get_or(cfg, "troupe.net.high-watermark", w.high_watermark);
  w.low_watermark =
    std::min(caf::get_or(cfg, "troupe.net.low-watermark", w.low_watermark), w.high_watermark);
  w.send_timeout = millis(cfg, "troupe.net.send-timeout", w.send_timeout);
  w.max_message_size = p.max_frame_size;
  w.max_batch_bytes = p.max_batch_bytes;
  w.max_batch_messages = p.max_batch_messages;
  s.reconnect_delay = millis(cfg, "troupe.net.reconnect-delay", s.reconnect_delay);
  s.reconnect_cap = millis(cfg, "troupe.net.reconnect-cap", s.reconnect_cap);
  s.inbox_high_watermark = std::max(
    size_t{1}, caf::get_or(cfg, "troupe.net.inbox-high-watermark", s.inbox_high_watermark));
  s.inbox_low_watermark =
    std::min(caf::get_or(cfg, "troupe.net.inbox-low-watermark", s.inbox_low_watermark),
             s.inbox_high_watermark);
  return s;
}

} // namespace

void enable(troupe::config& cfg, type_registry types) {
  cfg.load<caf::io::middleman, detail::shared_io_loop>();
  cfg.add_thread_hook<detail::engine_thread_marker>();
  add_options(cfg);
  cfg.add_error_category(net_error_category, render_net_error);
  auto shared_types = std::make_shared<const type_registry>(std::move(types));
  cfg.add_extension([shared_types](troupe::system& sys) -> std::unique_ptr<troupe::extension> {
    auto result = std::make_unique<node>(sys, read_settings(sys.engine().config()), shared_types);
    auto listen = caf::get_or(sys.engine().config(), "troupe.net.listen", std::string{});
    if (!listen.empty())
      if (auto bound = result->listen(listen); !bound)
        std::cerr << "[troupe.net] cannot listen on " << listen << ": "
                  << sys.engine().render(bound.error()) << '\n';
    return result;
  });
}

node* node_of(troupe::system& sys) noexcept {
  return sys.find_extension<node>();
}

} // namespace troupe::net
