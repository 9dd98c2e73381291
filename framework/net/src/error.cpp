#include "troupe/net/error.hpp"

#include <caf/make_message.hpp>

namespace troupe::net {

std::string to_string(error_code x) {
  switch (x) {
    case error_code::node_down:
      return "node_down";
    case error_code::handshake_failed:
      return "handshake_failed";
    case error_code::version_mismatch:
      return "version_mismatch";
    case error_code::authentication_failed:
      return "authentication_failed";
    case error_code::replayed_challenge:
      return "replayed_challenge";
    case error_code::frame_too_large:
      return "frame_too_large";
    case error_code::malformed_frame:
      return "malformed_frame";
    case error_code::empty_frame:
      return "empty_frame";
    case error_code::unknown_frame_kind:
      return "unknown_frame_kind";
    case error_code::unexpected_frame:
      return "unexpected_frame";
    case error_code::unknown_type:
      return "unknown_type";
    case error_code::cannot_cross:
      return "cannot_cross";
    case error_code::unknown_target:
      return "unknown_target";
    case error_code::unknown_request:
      return "unknown_request";
    case error_code::invalid_endpoint:
      return "invalid_endpoint";
    case error_code::connect_failed:
      return "connect_failed";
    case error_code::handshake_timeout:
      return "handshake_timeout";
    case error_code::overloaded:
      return "overloaded";
  }
  return "error_code(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(error_code x) {
  return caf::error{static_cast<uint8_t>(x), net_error_category};
}

caf::error make_error(error_code x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), net_error_category,
                    caf::make_message(std::move(context))};
}

} // namespace troupe::net
