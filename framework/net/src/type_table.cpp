#include "type_table.hpp"

#include <climits>
#include <typeinfo>

#include <caf/sec.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "builtin_types.hpp"
#include "protobuf_value.hpp"
#include "troupe/net/error.hpp"

namespace troupe::net::detail {

namespace {

namespace pb = google::protobuf;

const pb::Message& message_at(const type_entry& self, const void* value) {
  // The offset was measured on the class's default instance when it was added.
  return *reinterpret_cast<const pb::Message*>(static_cast<const char*>(value) +
                                               self.message_offset);
}

bool encode_generated(const type_table&, const type_entry& self, const void* value,
                      std::string& out) {
  return message_at(self, value).AppendPartialToString(&out);
}

caf::expected<caf::type_erased_value_ptr>
decode_generated(const type_table&, const type_entry& self, std::string_view bytes) {
  std::unique_ptr<pb::Message> msg{self.prototype->New()};
  if (!parse_payload(*msg, bytes))
    return malformed_payload(self, bytes);
  return caf::type_erased_value_ptr{new protobuf_value(std::move(msg))};
}

} // namespace

bool parse_payload(pb::MessageLite& out, std::string_view bytes) {
  if (bytes.size() > INT_MAX)
    return false;
  return out.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

caf::error malformed_payload(const type_entry& type, std::string_view bytes) {
  return make_error(error_code::malformed_payload,
                    std::to_string(bytes.size()) + " bytes do not parse as " + type.type_url);
}

type_table::type_table() {
  for (auto& [number, entry] : builtin_types())
    by_number_[number] = &insert(std::move(entry));
}

caf::error type_table::add(const pb::Descriptor& type) {
  auto url = std::string{type_url_prefix} + type.full_name();
  if (auto known = find(url)) {
    if (known->prototype != nullptr && known->prototype->GetDescriptor() == &type)
      return caf::none; // added before
    return caf::make_error(caf::sec::invalid_argument,
                           url + " is already taken by a built-in type or another descriptor");
  }
  auto* prototype = pb::MessageFactory::generated_factory()->GetPrototype(&type);
  if (prototype == nullptr || prototype->GetDescriptor() != &type)
    return caf::make_error(caf::sec::invalid_argument,
                           type.full_name() + " has no generated C++ class in this program");
  auto offset = reinterpret_cast<const char*>(prototype) -
                static_cast<const char*>(dynamic_cast<const void*>(prototype));
  auto& entry =
    insert({std::move(url), encode_generated, decode_generated, nullptr, prototype, offset});
  by_type_.emplace(typeid(*prototype), &entry);
  return caf::none;
}

const type_entry* type_table::find(caf::rtti_pair rtti) const noexcept {
  if (rtti.first != 0)
    return rtti.first < by_number_.size() ? by_number_[rtti.first] : nullptr;
  if (rtti.second == nullptr)
    return nullptr;
  auto i = by_type_.find(std::type_index{*rtti.second});
  return i != by_type_.end() ? i->second : nullptr;
}

const type_entry* type_table::find(std::string_view type_url) const noexcept {
  auto i = by_url_.find(type_url);
  return i != by_url_.end() ? i->second : nullptr;
}

const type_entry& type_table::insert(type_entry entry) {
  auto& result = entries_.emplace_back(std::move(entry));
  by_url_.emplace(result.type_url, &result);
  return result;
}

} // namespace troupe::net::detail
