#pragma once

// The replies of the pattern actors to Protobuf clients (proto/troupe/actors/*.proto): each
// request is answered by its reply message or, for an `actors_error`, by troupe.actors.Error
// with the same code and the error's context as text. Errors of other categories (none of the
// pattern actors' own; e.g. CAF's) stay `caf::error`s and cross as the wire's error reply.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "detail/remote_clients.hpp"
#include "troupe/protobuf.hpp"

namespace troupe::actors::remote {

/// The text of an error made by `make_error(code, text)`: its context string, or `fallback`.
std::string context_text(const caf::error& err, std::string fallback = {});

/// The reply for a local error of `category`: a Protobuf error message `Reply` (fields `code`
/// and `text`) with the same code and the context as text; an error of another category stays
/// the `caf::error` (it crosses as the wire's error reply).
template <class Reply>
caf::message coded_error_reply(const caf::error& err, caf::atom_value category,
                               std::string fallback = {}) {
  if (err.category() != category)
    return caf::make_message(err);
  Reply reply;
  reply.set_code(static_cast<decltype(reply.code())>(err.code()));
  reply.set_text(context_text(err, std::move(fallback)));
  return caf::make_message(std::move(reply));
}

/// The reply for a local error reply: troupe.actors.Error for an `actors_error`, the error
/// itself otherwise.
caf::message error_reply(const caf::error& err);

/// The error in a local reply, if it is one.
const caf::error* error_in(const caf::message& local_reply);

/// Translates a local empty reply into `Reply{}` and an error into `error_reply`.
template <class Reply> detail::translated_reply empty_as(caf::message& local_reply) {
  if (auto* err = error_in(local_reply))
    return {error_reply(*err), {}};
  return {caf::make_message(Reply{}), {}};
}

/// Translates a local reply of one value with `convert(const T&)` into its Protobuf reply,
/// and an error into `error_reply`.
template <class T, auto Convert> detail::translated_reply value_as(caf::message& local_reply) {
  if (auto* err = error_in(local_reply))
    return {error_reply(*err), {}};
  if (!local_reply.match_elements<T>())
    return {caf::make_message(caf::make_error(caf::sec::unexpected_response)), {}};
  return {caf::make_message(Convert(local_reply.get_as<T>(0))), {}};
}

/// The wait limit of a Protobuf request's `wait_ns`: none for 0 ("waits without limit").
/// Error: `invalid_argument` for a negative value.
caf::expected<std::optional<caf::timespan>> wait_limit_of(int64_t wait_ns);

} // namespace troupe::actors::remote
