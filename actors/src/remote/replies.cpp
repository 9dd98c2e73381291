#include "remote/replies.hpp"

#include <string>

#include "troupe/actors/error.hpp"
#include "troupe/actors/errors.pb.h"

namespace troupe::actors::remote {

std::string context_text(const caf::error& err, std::string fallback) {
  if (!err.context().empty() && err.context().match_element<std::string>(0) &&
      !err.context().get_as<std::string>(0).empty())
    return err.context().get_as<std::string>(0);
  return fallback;
}

caf::message error_reply(const caf::error& err) {
  // The context is the error's own text, e.g. "put on a closed bounded_buffer"; else its name.
  return coded_error_reply<Error>(err, actors_error_category,
                                  to_string(static_cast<actors_error>(err.code())));
}

const caf::error* error_in(const caf::message& local_reply) {
  if (local_reply.size() == 1 && local_reply.match_element<caf::error>(0))
    return &local_reply.get_as<caf::error>(0);
  return nullptr;
}

caf::expected<std::optional<caf::timespan>> wait_limit_of(int64_t wait_ns) {
  if (wait_ns < 0)
    return make_error(actors_error::invalid_argument,
                      "a wait limit of " + std::to_string(wait_ns) + " ns is negative");
  if (wait_ns == 0)
    return std::optional<caf::timespan>{};
  return std::optional<caf::timespan>{caf::timespan{wait_ns}};
}

} // namespace troupe::actors::remote
