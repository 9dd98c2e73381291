#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

// Protobuf's wire format, for the few fields troupe encodes by hand (the batch, its hot path).
// Every field number used here is below 16, so every tag is one byte.

namespace troupe::net::detail::wire_encoding {

/// Protobuf wire types used by troupe.wire.
enum class wire_type : uint8_t { varint = 0, length_delimited = 2 };

/// Returns the tag byte of field `field` with wire type `wt` (fields below 16 only).
constexpr char tag(uint32_t field, wire_type wt) {
  return static_cast<char>((field << 3) | static_cast<uint32_t>(wt));
}

/// Returns how many bytes `v` takes as a varint.
constexpr std::size_t varint_size(uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

/// Writes `v` as a varint at `p`; returns the end.
inline char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

/// Size of a varint field, 0 when `v` is 0 (proto3 omits default values).
constexpr std::size_t varint_field_size(uint64_t v) {
  return v == 0 ? 0 : 1 + varint_size(v);
}

/// Writes a varint field (nothing when `v` is 0); returns the end.
inline char* put_varint_field(char* p, uint32_t field, uint64_t v) {
  if (v == 0)
    return p;
  *p++ = tag(field, wire_type::varint);
  return put_varint(p, v);
}

/// Size of a length-delimited field whose contents take `len` bytes.
constexpr std::size_t delimited_field_size(std::size_t len) {
  return 1 + varint_size(len) + len;
}

/// Writes the tag and length of a length-delimited field; returns where its contents go.
inline char* put_delimited_header(char* p, uint32_t field, std::size_t len) {
  *p++ = tag(field, wire_type::length_delimited);
  return put_varint(p, len);
}

/// Size of a string/bytes field, 0 when empty (proto3 omits default values).
constexpr std::size_t string_field_size(std::string_view s) {
  return s.empty() ? 0 : delimited_field_size(s.size());
}

/// Writes a string/bytes field (nothing when empty); returns the end.
inline char* put_string_field(char* p, uint32_t field, std::string_view s) {
  if (s.empty())
    return p;
  p = put_delimited_header(p, field, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

/// Writes an element of a repeated string/bytes field, even when empty; returns the end.
inline char* put_string_element(char* p, uint32_t field, std::string_view s) {
  p = put_delimited_header(p, field, s.size());
  if (!s.empty())
    std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

/// Writes `n` as the 4-byte big-endian length prefix of a frame; returns the end.
inline char* put_length_prefix(char* p, uint32_t n) {
  p[0] = static_cast<char>(n >> 24);
  p[1] = static_cast<char>(n >> 16);
  p[2] = static_cast<char>(n >> 8);
  p[3] = static_cast<char>(n);
  return p + 4;
}

/// Reads a varint at `p` (before `end`) into `x`; returns the end of it, or null if it is cut
/// short or does not fit 64 bits (a tenth byte over 1: Protobuf's parser decides those).
inline const char* get_varint(const char* p, const char* end, uint64_t& x) {
  x = 0;
  for (int shift = 0; p != end && shift < 64; shift += 7) {
    auto byte = static_cast<uint8_t>(*p++);
    if (shift == 63 && byte > 1)
      return nullptr;
    x |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80)
      return p;
  }
  return nullptr;
}

/// Reads a 4-byte big-endian length prefix.
inline uint32_t get_length_prefix(const char* p) {
  auto b = [p](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

} // namespace troupe::net::detail::wire_encoding
