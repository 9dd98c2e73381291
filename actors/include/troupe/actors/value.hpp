#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <caf/allowed_unsafe_message_type.hpp>

namespace troupe::actors {

/// A dynamically typed value as Python's `Manager().dict()` and `Manager().list()` hold them:
/// `None` (`std::monostate`), a bool, an integer, a float or a string. Keys and values of a
/// `shared_dict` and items of a `shared_list` are values. Two values are equal when they have
/// the same type and value (unlike Python, `1` and `1.0` are different keys).
using value = std::variant<std::monostate, bool, int64_t, double, std::string>;

/// Python's `repr` of `x`: `None`, `True`, `42`, `0.25`, `1.0`, `'text'`.
std::string repr(const value& x);

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::value)
