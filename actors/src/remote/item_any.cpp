#include "remote/item_any.hpp"

#include <string>
#include <typeinfo>

#include <caf/message.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/wrappers.pb.h>

#include "troupe/actors/error.hpp"
#include "troupe/protobuf.hpp"

namespace troupe::actors::remote {

namespace {

namespace pb = google::protobuf;

/// Packs element 0 of `item` as `Wrapper` if it is a `T`.
template <class Wrapper, class T> bool pack_scalar(const caf::message& item, pb::Any& out) {
  if (!item.match_element<T>(0))
    return false;
  Wrapper wrapper;
  wrapper.set_value(item.get_as<T>(0));
  out.PackFrom(wrapper);
  return true;
}

/// The generated Protobuf message at element 0 of `item`, or null. CAF knows the element by
/// its C++ type only; troupe/protobuf.hpp prints a generated message as "<full name>(...)",
/// which names its descriptor, and the generated class of that descriptor must be the
/// element's type before its address is read as that class.
const pb::Message* message_in(const caf::message& item) {
  auto [number, info] = item.type(0);
  if (number != 0 || info == nullptr)
    return nullptr;
  auto text = item.stringify(0);
  auto name = text.substr(0, text.find('('));
  auto* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  if (type == nullptr)
    return nullptr;
  auto* prototype = pb::MessageFactory::generated_factory()->GetPrototype(type);
  if (prototype == nullptr || typeid(*prototype) != *info)
    return nullptr;
  // The distance from the object's start to its Message base, as on the prototype.
  auto offset = reinterpret_cast<const char*>(prototype) -
                static_cast<const char*>(dynamic_cast<const void*>(prototype));
  return reinterpret_cast<const pb::Message*>(static_cast<const char*>(item.at(0)) + offset);
}

} // namespace

caf::expected<pb::Any> any_of(const caf::message& item) {
  pb::Any out;
  if (item.size() != 1)
    return make_error(actors_error::invalid_argument,
                      "an item of " + std::to_string(item.size()) +
                        " values cannot go to a remote taker: put one Protobuf message");
  if (item.match_element<pb::Any>(0)) {
    out = item.get_as<pb::Any>(0);
    return out;
  }
  if (pack_scalar<pb::Int32Value, int32_t>(item, out) ||
      pack_scalar<pb::Int64Value, int64_t>(item, out) ||
      pack_scalar<pb::UInt32Value, uint32_t>(item, out) ||
      pack_scalar<pb::UInt64Value, uint64_t>(item, out) ||
      pack_scalar<pb::DoubleValue, double>(item, out) ||
      pack_scalar<pb::FloatValue, float>(item, out) ||
      pack_scalar<pb::BoolValue, bool>(item, out) ||
      pack_scalar<pb::StringValue, std::string>(item, out))
    return out;
  if (auto* msg = message_in(item)) {
    out.PackFrom(*msg);
    return out;
  }
  return make_error(actors_error::invalid_argument, "an item that is no Protobuf message (" +
                                                      item.stringify(0).substr(0, 64) +
                                                      ") cannot go to a remote taker");
}

} // namespace troupe::actors::remote
