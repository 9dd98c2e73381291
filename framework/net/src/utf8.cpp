#include "utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace troupe::net::detail {

namespace {

/// Returns the length of the well-formed UTF-8 character at the start of `s`, 0 if ill-formed.
std::size_t char_length(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<uint8_t>(s[i]); };
  auto cont = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  uint8_t b = byte(0);
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(1) || !cont(2))
      return 0;
    uint8_t b1 = byte(1);
    if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F)) // overlong, surrogate
      return 0;
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3))
      return 0;
    uint8_t b1 = byte(1);
    if ((b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F)) // overlong, past U+10FFFF
      return 0;
    return 4;
  }
  return 0;
}

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

} // namespace

bool is_valid_utf8(std::string_view s) {
  while (!s.empty()) {
    auto n = char_length(s);
    if (n == 0)
      return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string to_wire_text(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  while (!s.empty()) {
    auto n = char_length(s);
    auto piece = n == 0 ? replacement : s.substr(0, n);
    if (out.size() + piece.size() > max)
      break;
    out.append(piece);
    s.remove_prefix(n == 0 ? 1 : n);
  }
  return out;
}

} // namespace troupe::net::detail
