#include "protobuf_value.hpp"

#include <typeinfo>

#include <caf/deserializer.hpp>
#include <caf/sec.hpp>
#include <caf/serializer.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

namespace troupe::net::detail {

protobuf_value::protobuf_value(std::unique_ptr<google::protobuf::Message> msg)
    : msg_(std::move(msg)), object_(dynamic_cast<void*>(msg_.get())) {
  // nop
}

protobuf_value::~protobuf_value() = default;

void* protobuf_value::get_mutable() {
  return object_;
}

// Same format as the inspect overload of troupe/protobuf.hpp: the message's bytes as a string.
caf::error protobuf_value::load(caf::deserializer& source) {
  std::string bytes;
  if (auto err = source(bytes))
    return err;
  if (!msg_->ParsePartialFromString(bytes))
    return caf::make_error(caf::sec::invalid_argument, "malformed Protobuf message");
  return caf::none;
}

caf::rtti_pair protobuf_value::type() const {
  return {0, &typeid(*msg_)};
}

const void* protobuf_value::get() const {
  return object_;
}

caf::error protobuf_value::save(caf::serializer& sink) const {
  auto bytes = msg_->SerializePartialAsString();
  return sink(bytes);
}

std::string protobuf_value::stringify() const {
  return msg_->GetDescriptor()->full_name() + "(" + msg_->ShortDebugString() + ")";
}

caf::type_erased_value_ptr protobuf_value::copy() const {
  std::unique_ptr<google::protobuf::Message> twin{msg_->New()};
  twin->CopyFrom(*msg_);
  return caf::type_erased_value_ptr{new protobuf_value(std::move(twin))};
}

} // namespace troupe::net::detail
