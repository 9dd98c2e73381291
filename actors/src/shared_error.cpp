#include "troupe/actors/shared_error.hpp"

#include <caf/make_message.hpp>

namespace troupe::actors {

std::string to_string(shared_error x) {
  switch (x) {
  case shared_error::invalid_argument:
    return "invalid_argument";
  case shared_error::index_out_of_range:
    return "index_out_of_range";
  case shared_error::empty_list:
    return "empty_list";
  }
  return "shared_error(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(shared_error x) {
  return caf::error{static_cast<uint8_t>(x), shared_error_category};
}

caf::error make_error(shared_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), shared_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, shared_error x) noexcept {
  return err.category() == shared_error_category && err.code() == static_cast<uint8_t>(x);
}

} // namespace troupe::actors
