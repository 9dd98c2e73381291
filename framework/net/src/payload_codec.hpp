#pragma once

/// The payload codec: the elements of a `caf::message` as google.protobuf.Any-like payloads
/// (type URL + Protobuf bytes) and back, by the types of a `type_registry`.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/type_erased_value.hpp>

#include "protocol.hpp"

namespace troupe::net::detail {

class type_table;

/// The payloads of one message, encoded. Meant to be reused from message to message: its
/// buffers keep their capacity, so a steady stream of messages allocates nothing here.
class encoded_message {
public:
  /// The number of elements.
  size_t size() const noexcept { return views_.size(); }

  /// The payloads, valid until the next `encode` into this object (and while the registry
  /// that encoded them lives: the type URLs are views of its strings).
  std::span<const payload_view> payloads() const noexcept { return views_; }

  /// Forgets the payloads, keeping the buffers.
  void clear() noexcept;

private:
  friend caf::error encode(const type_table& types, const caf::type_erased_tuple& xs,
                           encoded_message& out);

  /// All values back to back.
  std::string bytes_;
  /// End offset in `bytes_` of each value (views_ are built once all bytes are written).
  std::vector<size_t> ends_;
  std::vector<payload_view> views_;
};

/// Returns whether every element of `xs` can cross. Errors: `cannot_cross` naming the
/// first element whose type cannot (a check before anything is queued for sending).
caf::error check_crossable(const type_table& types, const caf::type_erased_tuple& xs);

/// Encodes every element of `xs` (none for the empty message) into `out`, replacing its
/// content. Errors: `cannot_cross` naming the first element whose type cannot cross (or that
/// is over 2 GiB); `out` is then empty.
caf::error encode(const type_table& types, const caf::type_erased_tuple& xs, encoded_message& out);

/// Appends the Protobuf bytes of element `pos` of `xs` to `out` and returns its type URL
/// (a view of the registry's string). Errors: as `encode`.
caf::expected<std::string_view> encode_element(const type_table& types,
                                               const caf::type_erased_tuple& xs, size_t pos,
                                               std::string& out);

/// Builds the message of concrete C++ values that `payloads` encode (the empty message
/// for none). Errors: `unknown_type` naming the first unknown type URL, `malformed_payload`
/// for bytes that do not parse as their type.
caf::expected<caf::message> decode(const type_table& types, std::span<const payload_view> payloads);

/// The content of a received message: its payloads decoded, or, for an error reply
/// (`msg.error` set), a message holding that `caf::error`. Errors: as `decode`, and
/// `malformed_payload` for an error reply whose fields hold no valid error.
caf::expected<caf::message> decode_content(const type_table& types, const message_view& msg);

/// Decodes one payload into a C++ value. Errors: as `decode`.
caf::expected<caf::type_erased_value_ptr> decode_element(const type_table& types,
                                                         const payload_view& payload);

/// Names the type of element `pos` of `xs` for error messages: the C++ class name (e.g.
/// "std::vector<int, std::allocator<int> >") or CAF's name of a built-in type (e.g. "@u16").
std::string element_type_name(const caf::type_erased_tuple& xs, size_t pos);

} // namespace troupe::net::detail
