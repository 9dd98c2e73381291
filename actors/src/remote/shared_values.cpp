#include "remote/shared_values.hpp"

#include <string>

#include "remote/replies.hpp"
#include "troupe/actors/shared_error.hpp"

namespace troupe::actors::remote {

caf::expected<value> from_proto(const Value& x) {
  switch (x.kind_case()) {
  case Value::kNone:
    return value{};
  case Value::kBoolean:
    return value{x.boolean()};
  case Value::kInteger:
    return value{x.integer()};
  case Value::kReal:
    return value{x.real()};
  case Value::kText:
    return value{x.text()};
  default:
    return make_error(shared_error::invalid_argument, "a troupe.actors.Value with no kind set");
  }
}

Value to_proto(const value& x) {
  struct visitor {
    Value& out;
    void operator()(std::monostate) const { out.set_none(true); }
    void operator()(bool b) const { out.set_boolean(b); }
    void operator()(int64_t i) const { out.set_integer(i); }
    void operator()(double d) const { out.set_real(d); }
    void operator()(const std::string& s) const { out.set_text(s); }
  };
  Value out;
  std::visit(visitor{out}, x);
  return out;
}

caf::message shared_error_reply(const caf::error& err) {
  return coded_error_reply<SharedError>(err, shared_error_category);
}

} // namespace troupe::actors::remote
