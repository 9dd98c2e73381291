#include "builtin_types.hpp"

#include <string>

#include <caf/deserializer.hpp>
#include <caf/error.hpp>
#include <caf/make_type_erased_value.hpp>
#include <caf/message.hpp>
#include <caf/serializer.hpp>
#include <google/protobuf/wrappers.pb.h>

#include "error_value.hpp"
#include "troupe/wire.pb.h"

namespace troupe::net::detail {

namespace {

namespace pb = google::protobuf;

// -- numbers and bool: the wrapper's only field is `value` (field 1) ------------------------

template <class T, class Wrapper>
bool encode_scalar(const type_table&, const type_entry&, const void* value, std::string& out) {
  Wrapper wrapper; // on the stack: no allocation for a scalar field
  wrapper.set_value(*static_cast<const T*>(value));
  return wrapper.AppendToString(&out);
}

template <class T, class Wrapper>
caf::expected<caf::type_erased_value_ptr> decode_scalar(const type_table&, const type_entry& self,
                                                        std::string_view bytes) {
  Wrapper wrapper;
  if (!parse_payload(wrapper, bytes))
    return malformed_payload(self, bytes);
  return caf::make_type_erased_value<T>(static_cast<T>(wrapper.value()));
}

template <class T, class Wrapper> builtin_type scalar() {
  return {caf::type_nr<T>::value,
          {std::string{type_url_prefix} + Wrapper::descriptor()->full_name(),
           encode_scalar<T, Wrapper>, decode_scalar<T, Wrapper>}};
}

// -- std::string: written by hand to spare the copy into a StringValue ------------------------

void append_varint(std::string& out, uint64_t x) {
  while (x >= 0x80) {
    out.push_back(static_cast<char>(x | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
}

bool encode_string(const type_table&, const type_entry&, const void* value, std::string& out) {
  auto& x = *static_cast<const std::string*>(value);
  if (x.empty()) // proto3 leaves a field with its default value out
    return true;
  constexpr char value_field_tag = (1 << 3) | 2; // field 1, length-delimited
  out.push_back(value_field_tag);
  append_varint(out, x.size());
  out.append(x);
  return true;
}

caf::expected<caf::type_erased_value_ptr> decode_string(const type_table&, const type_entry& self,
                                                        std::string_view bytes) {
  // BytesValue has StringValue's encoding without the UTF-8 check: a C++ string holds any
  // bytes, and between C++ nodes they arrive intact (other languages want UTF-8).
  pb::BytesValue wrapper;
  if (!parse_payload(wrapper, bytes))
    return malformed_payload(self, bytes);
  return caf::make_type_erased_value<std::string>(std::move(*wrapper.mutable_value()));
}

// -- caf::error: troupe.wire.ErrorValue ---------------------------------------------------------

bool encode_error(const type_table&, const type_entry&, const void* value, std::string& out) {
  auto fields = to_error_fields(*static_cast<const caf::error*>(value));
  wire::ErrorValue msg;
  msg.set_code(fields.code);
  msg.set_category(std::move(fields.category));
  msg.set_text(std::move(fields.text));
  return msg.AppendToString(&out);
}

caf::expected<caf::type_erased_value_ptr> decode_error(const type_table&, const type_entry& self,
                                                       std::string_view bytes) {
  wire::ErrorValue msg;
  if (!parse_payload(msg, bytes))
    return malformed_payload(self, bytes);
  caf::error value;
  if (auto err = from_error_view({msg.code(), msg.category(), msg.text()}, value))
    return err;
  return caf::make_type_erased_value<caf::error>(std::move(value));
}

} // namespace

std::vector<builtin_type> builtin_types() {
  return {
    scalar<int32_t, pb::Int32Value>(),
    scalar<int64_t, pb::Int64Value>(),
    scalar<uint32_t, pb::UInt32Value>(),
    scalar<uint64_t, pb::UInt64Value>(),
    scalar<double, pb::DoubleValue>(),
    scalar<float, pb::FloatValue>(),
    scalar<bool, pb::BoolValue>(),
    {caf::type_nr<std::string>::value,
     {std::string{type_url_prefix} + pb::StringValue::descriptor()->full_name(), encode_string,
      decode_string}},
    {caf::type_nr<caf::error>::value,
     {std::string{type_url_prefix} + wire::ErrorValue::descriptor()->full_name(), encode_error,
      decode_error}},
  };
}

} // namespace troupe::net::detail
