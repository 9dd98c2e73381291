#include "troupe/actors/error.hpp"

#include "troupe/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/make_message.hpp>

namespace troupe::actors {

std::string to_string(actors_error x) {
  switch (x) {
  case actors_error::closed:
    return "closed";
  case actors_error::end_of_stream:
    return "end_of_stream";
  case actors_error::nothing_taken:
    return "nothing_taken";
  case actors_error::timeout:
    return "timeout";
  case actors_error::invalid_argument:
    return "invalid_argument";
  case actors_error::not_holder:
    return "not_holder";
  case actors_error::broken_barrier:
    return "broken_barrier";
  case actors_error::over_claim:
    return "over_claim";
  case actors_error::over_total:
    return "over_total";
  case actors_error::unknown_client:
    return "unknown_client";
  case actors_error::lease_expired:
    return "lease_expired";
  }
  return "actors_error(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(actors_error x) {
  return caf::error{static_cast<uint8_t>(x), actors_error_category};
}

caf::error make_error(actors_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), actors_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, actors_error x) noexcept {
  return err.category() == actors_error_category && err.code() == static_cast<uint8_t>(x);
}

void add_error_names(caf::actor_system_config& cfg) {
  cfg.add_error_category(actors_error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return troupe::render_error(
                             "troupe::actors::" + to_string(static_cast<actors_error>(code)), ctx);
                         });
}

} // namespace troupe::actors
