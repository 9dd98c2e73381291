#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace troupe::net::detail {

/// The longest text (an error's explanation, a Goodbye's reason) put into a frame, in bytes.
constexpr std::size_t max_wire_text = 4096;

/// Returns whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values past
/// U+10FFFF), as Protobuf requires of every `string` field: a peer refuses a frame with a
/// string that is not.
bool is_valid_utf8(std::string_view s);

/// Returns `s` fit for a `string` field: each ill-formed byte replaced by U+FFFD, cut at a
/// character boundary to at most `max` bytes.
std::string to_wire_text(std::string_view s, std::size_t max = max_wire_text);

} // namespace troupe::net::detail
