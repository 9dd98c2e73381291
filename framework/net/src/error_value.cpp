#include "error_value.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/net/error.hpp"

namespace troupe::net::detail {

namespace {

/// CAF's atoms hold at most 10 characters.
constexpr size_t max_atom_length = 10;

std::string context_text(const caf::message& context) {
  if (context.empty())
    return {};
  if (context.match_elements<std::string>())
    return context.get_as<std::string>(0);
  return caf::to_string(context);
}

} // namespace

error_fields to_error_fields(const caf::error& x) {
  if (!x)
    return {};
  return {x.code(), caf::to_string(x.category()), context_text(x.context())};
}

caf::error from_error_view(const error_view& x, caf::error& result) {
  if (x.code == 0) {
    result = caf::error{};
    return caf::none;
  }
  if (x.code > UINT8_MAX)
    return make_error(error_code::malformed_payload,
                      "error code " + std::to_string(x.code) + " exceeds 255");
  if (x.category.empty() || x.category.size() > max_atom_length)
    return make_error(error_code::malformed_payload, "error category \"" + std::string{x.category} +
                                                       "\" is not a CAF atom (1 to 10 characters)");
  auto category = caf::atom_from_string(caf::string_view{x.category.data(), x.category.size()});
  auto code = static_cast<uint8_t>(x.code);
  if (x.text.empty())
    result = caf::error{code, category};
  else
    result = caf::error{code, category, caf::make_message(std::string{x.text})};
  return caf::none;
}

} // namespace troupe::net::detail
