#include "payload_codec.hpp"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <typeinfo>

#include <caf/detail/dynamic_message_data.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>
#include <caf/type_nr.hpp>

#include "error_value.hpp"
#include "troupe/net/error.hpp"
#include "type_table.hpp"

namespace troupe::net::detail {

namespace {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name{
    abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free};
  return status == 0 && name ? std::string{name.get()} : std::string{type.name()};
}

caf::error cannot_cross(const caf::type_erased_tuple& xs, size_t pos, std::string_view why) {
  return make_error(error_code::cannot_cross, "element " + std::to_string(pos) + " of type " +
                                                element_type_name(xs, pos) + " " +
                                                std::string{why});
}

constexpr std::string_view not_registered =
  "cannot be sent to another node: register its Protobuf type or send a Protobuf message";

} // namespace

void encoded_message::clear() noexcept {
  bytes_.clear();
  ends_.clear();
  views_.clear();
}

std::string element_type_name(const caf::type_erased_tuple& xs, size_t pos) {
  auto [number, info] = xs.type(pos);
  if (number != 0)
    return caf::numbered_type_names[number - 1];
  return info != nullptr ? demangle(*info) : std::string{"(unknown)"};
}

caf::error check_crossable(const type_table& types, const caf::type_erased_tuple& xs) {
  for (size_t pos = 0; pos < xs.size(); ++pos)
    if (types.find(xs.type(pos)) == nullptr)
      return cannot_cross(xs, pos, not_registered);
  return caf::none;
}

caf::expected<std::string_view> encode_element(const type_table& types,
                                               const caf::type_erased_tuple& xs, size_t pos,
                                               std::string& out) {
  auto* entry = types.find(xs.type(pos));
  if (entry == nullptr)
    return cannot_cross(xs, pos, not_registered);
  if (!entry->encode(types, *entry, xs.get(pos), out))
    return cannot_cross(xs, pos, "is larger than Protobuf's limit of 2 GiB");
  return std::string_view{entry->type_url};
}

caf::error encode(const type_table& types, const caf::type_erased_tuple& xs, encoded_message& out) {
  out.clear();
  // URLs first, bytes later: views into bytes_ are only stable once it stops growing.
  for (size_t pos = 0; pos < xs.size(); ++pos) {
    auto url = encode_element(types, xs, pos, out.bytes_);
    if (!url) {
      out.clear();
      return std::move(url.error());
    }
    out.ends_.push_back(out.bytes_.size());
    out.views_.push_back({*url, {}});
  }
  size_t begin = 0;
  for (size_t i = 0; i < out.views_.size(); ++i) {
    out.views_[i].value = std::string_view{out.bytes_}.substr(begin, out.ends_[i] - begin);
    begin = out.ends_[i];
  }
  return caf::none;
}

caf::expected<caf::type_erased_value_ptr> decode_element(const type_table& types,
                                                         const payload_view& payload) {
  auto* entry = types.find(payload.type_url);
  if (entry == nullptr)
    return make_error(error_code::unknown_type, "no type registered for the type URL \"" +
                                                  std::string{payload.type_url} + "\"");
  return entry->decode(types, *entry, payload.value);
}

caf::expected<caf::message> decode(const type_table& types,
                                   std::span<const payload_view> payloads) {
  if (payloads.empty())
    return caf::message{};
  caf::detail::dynamic_message_data::elements elements;
  elements.reserve(payloads.size());
  for (auto& payload : payloads) {
    auto value = decode_element(types, payload);
    if (!value)
      return std::move(value.error());
    elements.push_back(std::move(*value));
  }
  caf::message::data_ptr data{new caf::detail::dynamic_message_data(std::move(elements)), false};
  return caf::message{std::move(data)};
}

caf::expected<caf::message> decode_content(const type_table& types, const message_view& msg) {
  if (msg.error == nullptr)
    return decode(types, msg.payload);
  caf::error reason;
  if (auto err = from_error_view(*msg.error, reason))
    return err;
  return caf::make_message(std::move(reason));
}

} // namespace troupe::net::detail
