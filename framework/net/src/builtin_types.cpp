#include "builtin_types.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>

#include <caf/deserializer.hpp>
#include <caf/error.hpp>
#include <caf/make_type_erased_value.hpp>
#include <caf/message.hpp>
#include <caf/serializer.hpp>
#include <google/protobuf/wrappers.pb.h>

#include "error_value.hpp"
#include "inbox_gate.hpp"
#include "troupe/wire.pb.h"
#include "wire_encoding.hpp"

namespace troupe::net::detail {

namespace {

namespace pb = google::protobuf;

// -- the wrappers' encoding, written by hand: their only field is `value` (field 1) ---------
// A Wrapper object on the stack took twice as long per element (123 ns vs 60 ns for int32).

void append_varint(std::string& out, uint64_t x) {
  char buf[10];
  out.append(buf, wire_encoding::put_varint(buf, x)); // one append, not one per byte
}

/// The tag of field 1 with a Protobuf wire type (0 varint, 1 fixed64, 2 length-delimited,
/// 5 fixed32).
constexpr char value_tag(int wire_type) {
  return static_cast<char>((1 << 3) | wire_type);
}

template <class T> void append_little_endian(std::string& out, T x) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &x, sizeof(T));
  if constexpr (std::endian::native == std::endian::big)
    std::reverse(std::begin(bytes), std::end(bytes));
  out.append(reinterpret_cast<const char*>(bytes), sizeof(T));
}

/// Appends `x` as the `value` field of its wrapper type; proto3 leaves a 0 (or false) out.
template <class T>
bool encode_scalar(const type_table&, const type_entry&, const void* value, std::string& out) {
  auto x = *static_cast<const T*>(value);
  if constexpr (std::is_floating_point_v<T>) {
    if (x == T{} && !std::signbit(x)) // -0.0 is not the default: it is written
      return true;
    out.push_back(value_tag(std::is_same_v<T, double> ? 1 : 5));
    append_little_endian(out, x);
  } else {
    if (x == T{})
      return true;
    // A negative int32 is sign-extended to 64 bits, as Protobuf does (10 bytes).
    using wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
    char buf[11];
    buf[0] = value_tag(0);
    out.append(buf,
               wire_encoding::put_varint(buf + 1, static_cast<uint64_t>(static_cast<wide>(x))));
  }
  return true;
}

/// Reads the `value` of a wrapper as a sender writes it: nothing (the default), or field 1 once
/// with its own wire type and nothing else. False for anything else (other fields, repeats),
/// which Protobuf's parser then reads with all its rules.
template <class T> bool read_canonical(std::string_view bytes, T& out) {
  if (bytes.empty()) {
    out = T{};
    return true;
  }
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  if constexpr (std::is_floating_point_v<T>) {
    if (*p != value_tag(std::is_same_v<T, double> ? 1 : 5) || bytes.size() != 1 + sizeof(T) ||
        std::endian::native != std::endian::little)
      return false;
    std::memcpy(&out, p + 1, sizeof(T));
    return true;
  } else {
    uint64_t x = 0;
    if (*p != value_tag(0) || wire_encoding::get_varint(p + 1, end, x) != end)
      return false;
    if constexpr (std::is_same_v<T, bool>)
      out = x != 0;
    else
      out = static_cast<T>(x); // Protobuf's truncation of a 64-bit varint to 32 bits
    return true;
  }
}

/// Decodes the `value` of a scalar's wrapper: by hand as it is usually written, or by Protobuf.
template <class T, class Wrapper> bool scalar_of(std::string_view bytes, T& out) {
  if (read_canonical(bytes, out))
    return true;
  Wrapper wrapper;
  if (!parse_payload(wrapper, bytes))
    return false;
  out = static_cast<T>(wrapper.value());
  return true;
}

template <class T, class Wrapper>
caf::expected<caf::type_erased_value_ptr> decode_scalar(const type_table&, const type_entry& self,
                                                        std::string_view bytes) {
  T value{};
  if (!scalar_of<T, Wrapper>(bytes, value))
    return malformed_payload(self, bytes);
  return caf::make_type_erased_value<T>(value);
}

template <class T, class Wrapper>
caf::error deliver_scalar(const type_entry& self, std::string_view bytes, delivery_header& header,
                          caf::mailbox_element_ptr& out) {
  T value{};
  if (!scalar_of<T, Wrapper>(bytes, value))
    return malformed_payload(self, bytes);
  out = counted_value<T>::make(std::move(header), std::move(value));
  return caf::none;
}

template <class T, class Wrapper> builtin_type scalar() {
  return {caf::type_nr<T>::value,
          {std::string{type_url_prefix} + Wrapper::descriptor()->full_name(), encode_scalar<T>,
           decode_scalar<T, Wrapper>, deliver_scalar<T, Wrapper>}};
}

// -- std::string: StringValue, written by hand too (spares a copy into the wrapper) ----------

bool encode_string(const type_table&, const type_entry&, const void* value, std::string& out) {
  auto& x = *static_cast<const std::string*>(value);
  if (x.empty()) // proto3 leaves a field with its default value out
    return true;
  out.push_back(value_tag(2));
  append_varint(out, x.size());
  out.append(x);
  return true;
}

/// Decodes a StringValue: by hand as it is usually written (field 1 once), or by Protobuf.
bool string_of(std::string_view bytes, std::string& out) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  uint64_t n = 0;
  if (bytes.empty()) {
    out.clear();
    return true;
  }
  if (*p == value_tag(2)) {
    const char* body = wire_encoding::get_varint(p + 1, end, n);
    if (body != nullptr && static_cast<uint64_t>(end - body) == n) {
      out.assign(body, end);
      return true;
    }
  }
  // BytesValue has StringValue's encoding without the UTF-8 check: a C++ string holds any
  // bytes, and between C++ nodes they arrive intact (other languages want UTF-8).
  pb::BytesValue wrapper;
  if (!parse_payload(wrapper, bytes))
    return false;
  out = std::move(*wrapper.mutable_value());
  return true;
}

caf::expected<caf::type_erased_value_ptr> decode_string(const type_table&, const type_entry& self,
                                                        std::string_view bytes) {
  std::string value;
  if (!string_of(bytes, value))
    return malformed_payload(self, bytes);
  return caf::make_type_erased_value<std::string>(std::move(value));
}

caf::error deliver_string(const type_entry& self, std::string_view bytes, delivery_header& header,
                          caf::mailbox_element_ptr& out) {
  std::string value;
  if (!string_of(bytes, value))
    return malformed_payload(self, bytes);
  out = counted_value<std::string>::make(std::move(header), std::move(value));
  return caf::none;
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
      decode_string, deliver_string}},
    {caf::type_nr<caf::error>::value,
     {std::string{type_url_prefix} + wire::ErrorValue::descriptor()->full_name(), encode_error,
      decode_error}},
  };
}

} // namespace troupe::net::detail
