#include "troupe/actors/supervisor_error.hpp"

#include <caf/make_message.hpp>

namespace troupe::actors {

std::string to_string(supervisor_error x) {
  switch (x) {
    case supervisor_error::restart_intensity_exceeded:
      return "restart_intensity_exceeded";
    case supervisor_error::start_failed:
      return "start_failed";
    case supervisor_error::unknown_child:
      return "unknown_child";
    case supervisor_error::duplicate_child:
      return "duplicate_child";
    case supervisor_error::child_running:
      return "child_running";
    case supervisor_error::invalid_child_spec:
      return "invalid_child_spec";
  }
  return "supervisor_error(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(supervisor_error x) {
  return caf::error{static_cast<uint8_t>(x), supervisor_error_category};
}

caf::error make_error(supervisor_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), supervisor_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, supervisor_error x) noexcept {
  return err.category() == supervisor_error_category && err.code() == static_cast<uint8_t>(x);
}

} // namespace troupe::actors
