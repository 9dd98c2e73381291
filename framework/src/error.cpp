#include "troupe/error.hpp"

#include <caf/make_message.hpp>

namespace troupe {

std::string to_string(error_code x) {
  switch (x) {
    case error_code::duplicate_name:
      return "duplicate_name";
    case error_code::invalid_name:
      return "invalid_name";
    case error_code::unknown_name:
      return "unknown_name";
    case error_code::unanswered_request:
      return "unanswered_request";
    case error_code::not_a_request:
      return "not_a_request";
    case error_code::coroutine_exception:
      return "coroutine_exception";
  }
  return "error_code(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(error_code x) {
  return caf::error{static_cast<uint8_t>(x), troupe_error_category};
}

std::string render_error(std::string name, const caf::message& context) {
  if (context.match_elements<std::string>()) {
    name += " (";
    name += context.get_as<std::string>(0);
    name += ')';
  } else if (!context.empty()) {
    name += ' ';
    name += caf::to_string(context);
  }
  return name;
}

caf::error make_error(error_code x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), troupe_error_category,
                    caf::make_message(std::move(context))};
}

} // namespace troupe
