#include "outgoing.hpp"

#include <caf/type_erased_tuple.hpp>

#include "payload_codec.hpp"

namespace troupe::net::detail {

caf::error error_from_view(const error_view& x) {
  caf::error result;
  if (auto bad = from_error_view(x, result))
    return bad;
  return result;
}

message_view view_of(const outgoing& item, std::vector<payload_view>& payload, error_view& err) {
  payload.clear();
  uint32_t begin = 0;
  for (size_t i = 0; i < item.ends.size(); ++i) {
    payload.push_back(payload_view{
      item.type_urls[i], std::string_view{item.bytes}.substr(begin, item.ends[i] - begin)});
    begin = item.ends[i];
  }
  message_view msg;
  msg.target = actor_target{item.target_id, item.name};
  msg.sender_id = item.sender_id;
  msg.request_id = item.request_id;
  msg.reply_to = item.reply_to;
  msg.payload = payload;
  if (item.error) {
    err = item.error->view();
    msg.error = &err;
  }
  return msg;
}

caf::error encode_into(outgoing& item, const type_table& types,
                       const caf::type_erased_tuple& content) {
  // One scratch buffer per thread: encoding allocates nothing once it has grown.
  thread_local encoded_message scratch;
  if (auto err = encode(types, content, scratch))
    return err;
  auto payloads = scratch.payloads();
  item.type_urls.reserve(payloads.size());
  item.ends.reserve(payloads.size());
  for (auto& p : payloads) {
    item.type_urls.push_back(p.type_url);
    item.bytes.append(p.value);
    item.ends.push_back(static_cast<uint32_t>(item.bytes.size()));
  }
  return caf::none;
}

} // namespace troupe::net::detail
