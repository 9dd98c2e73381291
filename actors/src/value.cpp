#include "troupe/actors/value.hpp"

#include <charconv>
#include <cmath>

namespace troupe::actors {

namespace {

/// Python's float repr: the shortest text that reads back as `x`, with ".0" for whole numbers.
std::string float_repr(double x) {
  if (std::isnan(x))
    return "nan";
  if (std::isinf(x))
    return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
  std::string text(buf, end);
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return text;
}

/// Python's str repr for the common case: single quotes, backslash and quote escaped.
std::string string_repr(const std::string& x) {
  std::string out = "'";
  for (char c : x) {
    if (c == '\'' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "'";
}

} // namespace

std::string repr(const value& x) {
  struct visitor {
    std::string operator()(std::monostate) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return float_repr(d); }
    std::string operator()(const std::string& s) const { return string_repr(s); }
  };
  return std::visit(visitor{}, x);
}

} // namespace troupe::actors
