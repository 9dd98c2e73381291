#include "troupe/net/type_registry.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include "type_table.hpp"

namespace troupe::net {

namespace {

caf::error add_with_nested(detail::type_table& table, const google::protobuf::Descriptor& type) {
  if (type.options().map_entry()) // a map field's hidden entry type: not a message of its own
    return caf::none;
  if (auto err = table.add(type))
    return err;
  for (int i = 0; i < type.nested_type_count(); ++i)
    if (auto err = add_with_nested(table, *type.nested_type(i)))
      return err;
  return caf::none;
}

} // namespace

type_registry::type_registry() : table_(std::make_unique<detail::type_table>()) {
  // nop
}

type_registry::~type_registry() = default;

type_registry::type_registry(type_registry&&) noexcept = default;

type_registry& type_registry::operator=(type_registry&&) noexcept = default;

caf::error type_registry::add(const google::protobuf::Descriptor& type) {
  return table_->add(type);
}

caf::error type_registry::add_file(const google::protobuf::FileDescriptor& file) {
  for (int i = 0; i < file.message_type_count(); ++i)
    if (auto err = add_with_nested(*table_, *file.message_type(i)))
      return err;
  return caf::none;
}

bool type_registry::knows(std::string_view type_url) const noexcept {
  return table_->find(type_url) != nullptr;
}

} // namespace troupe::net
