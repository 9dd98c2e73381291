#pragma once

#include <memory>
#include <string>

#include <caf/type_erased_value.hpp>

namespace google::protobuf {
class Message;
} // namespace google::protobuf

namespace troupe::net::detail {

/// A received Protobuf message inside a `caf::message`, typed as its generated C++ class.
///
/// The codec knows registered types by descriptor only, so it cannot name the class at
/// compile time; this value reports the run-time type of the message it owns, which is what
/// CAF compares when a handler for `const my::Put&` is matched, and hands out the address of
/// that object, which is what CAF casts to `my::Put`.
class protobuf_value final : public caf::type_erased_value {
public:
  /// Takes ownership of `msg`, an instance of a generated class (not a dynamic message).
  explicit protobuf_value(std::unique_ptr<google::protobuf::Message> msg);

  ~protobuf_value() override;

  void* get_mutable() override;

  caf::error load(caf::deserializer& source) override;

  caf::rtti_pair type() const override;

  const void* get() const override;

  caf::error save(caf::serializer& sink) const override;

  std::string stringify() const override;

  caf::type_erased_value_ptr copy() const override;

private:
  std::unique_ptr<google::protobuf::Message> msg_;
  /// The most derived object of `msg_`, i.e. the generated class instance.
  void* object_;
};

} // namespace troupe::net::detail
