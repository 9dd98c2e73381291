#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/type_erased_value.hpp>
#include <caf/type_nr.hpp>

namespace google::protobuf {
class Descriptor;
class Message;
} // namespace google::protobuf

namespace troupe::net::detail {

class type_table;
struct type_entry;

/// Appends the Protobuf bytes of the C++ value at `value` to `out`; false if it is too large
/// for Protobuf (2 GiB).
using encode_fn = bool (*)(const type_table& types, const type_entry& self, const void* value,
                           std::string& out);

/// Parses Protobuf bytes into a new C++ value. Errors: `malformed_payload`.
using decode_fn = caf::expected<caf::type_erased_value_ptr> (*)(const type_table& types,
                                                                const type_entry& self,
                                                                std::string_view bytes);

struct delivery_header;

/// Parses the Protobuf bytes of a message's only element straight into a mailbox element
/// (`counted_value`: one allocation) with the sender, id and gate of `header` (moved from on
/// success). Errors: `malformed_payload`.
using deliver_fn = caf::error (*)(const type_entry& self, std::string_view bytes,
                                  delivery_header& header, caf::mailbox_element_ptr& out);

/// How one C++ type crosses: its type URL and its two conversions.
struct type_entry {
  /// "type.googleapis.com/<full name>", the payload's google.protobuf.Any type URL.
  std::string type_url;
  encode_fn encode = nullptr;
  decode_fn decode = nullptr;
  /// The fast way to receive a message of one element of this type (built-in types), or null.
  deliver_fn deliver = nullptr;
  /// The default instance of a registered generated class (null for the built-in types).
  const google::protobuf::Message* prototype = nullptr;
  /// Bytes from the start of the C++ object to its google::protobuf::Message base.
  std::ptrdiff_t message_offset = 0;
};

/// The lookup tables behind `type_registry`: by CAF type number (built-in types), by
/// `std::type_index` (registered classes) and by type URL (received payloads).
class type_table {
public:
  /// Creates a table with the built-in types: scalars, `std::string`, `caf::error`.
  type_table();

  type_table(const type_table&) = delete;
  type_table& operator=(const type_table&) = delete;

  /// Adds a generated message type. Errors: `sec::invalid_argument` (see type_registry).
  caf::error add(const google::protobuf::Descriptor& type);

  /// Returns how the element type `rtti` (of a `caf::type_erased_tuple`) crosses, or null.
  const type_entry* find(caf::rtti_pair rtti) const noexcept;

  /// Returns how a payload of `type_url` is read, or null.
  const type_entry* find(std::string_view type_url) const noexcept;

private:
  const type_entry& insert(type_entry entry);

  /// Stable addresses: the maps below point into it (and their keys view its URLs).
  std::deque<type_entry> entries_;
  std::array<const type_entry*, caf::type_nrs> by_number_{};
  std::unordered_map<std::type_index, const type_entry*> by_type_;
  std::unordered_map<std::string_view, const type_entry*> by_url_;
};

/// The type URL prefix of google.protobuf.Any, "type.googleapis.com/".
inline constexpr std::string_view type_url_prefix = "type.googleapis.com/";

} // namespace troupe::net::detail

namespace google::protobuf {
class MessageLite;
} // namespace google::protobuf

namespace troupe::net::detail {

/// Parses `bytes` into `out` (missing proto2 required fields tolerated, as on the sender).
bool parse_payload(google::protobuf::MessageLite& out, std::string_view bytes);

/// The error for bytes that do not parse as `type`: `malformed_payload` naming the type URL.
caf::error malformed_payload(const type_entry& type, std::string_view bytes);

} // namespace troupe::net::detail
