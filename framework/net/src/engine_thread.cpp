#include "engine_thread.hpp"

namespace troupe::net::detail {

namespace {

thread_local bool engine_thread = false;

} // namespace

bool on_engine_thread() noexcept {
  return engine_thread;
}

void engine_thread_marker::thread_started() {
  engine_thread = true;
}

} // namespace troupe::net::detail
