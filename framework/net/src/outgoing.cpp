#include "outgoing.hpp"

#include "wire_frames.hpp"

namespace troupe::net::detail {

caf::error error_from_view(const error_view& x) {
  caf::error result;
  if (auto bad = from_error_view(x, result))
    return bad;
  return result;
}

void write_control(const outgoing& item, std::vector<char>& sink) {
  actor_target target{item.target_id, item.name};
  switch (item.what) {
  case outgoing::kind::monitor:
    write_frame(monitor_frame(target), sink);
    break;
  case outgoing::kind::demonitor:
    write_frame(demonitor_frame(target), sink);
    break;
  case outgoing::kind::down:
    write_frame(down_frame(target, item.error ? item.error->view() : error_view{}), sink);
    break;
  case outgoing::kind::lookup:
    write_frame(lookup_frame(item.name, item.request_id), sink);
    break;
  }
}

outgoing down_item(uint64_t id, std::string name, const caf::error& reason) {
  outgoing item;
  item.what = outgoing::kind::down;
  item.target_id = id;
  item.name = std::move(name);
  item.error = to_error_fields(reason);
  return item;
}

} // namespace troupe::net::detail
