#include "remote/buffer_replies.hpp"

#include "remote/item_any.hpp"
#include "remote/replies.hpp"
#include "troupe/actors/bounded_buffer.hpp"
#include "troupe/actors/bounded_buffer.pb.h"

namespace troupe::actors::remote {

namespace {

BufferStats to_proto(const buffer_stats& x) {
  BufferStats out;
  out.set_size(x.size);
  out.set_capacity(x.capacity);
  out.set_high_water(x.high_water);
  out.set_puts(x.puts);
  out.set_takes(x.takes);
  out.set_put_waits(x.put_waits);
  out.set_redelivered(x.redelivered);
  out.set_unfinished(x.unfinished);
  out.set_closed(x.closed);
  return out;
}

} // namespace

detail::translated_reply item_reply(caf::message& local_reply) {
  if (auto* err = error_in(local_reply))
    return {error_reply(*err), {}};
  auto any = any_of(local_reply);
  if (!any)
    return {error_reply(any.error()), any.error()};
  Item out;
  *out.mutable_item() = std::move(*any);
  return {caf::make_message(std::move(out)), {}};
}

detail::translated_reply buffer_stats_reply(caf::message& local_reply) {
  return value_as<buffer_stats, &to_proto>(local_reply);
}

} // namespace troupe::actors::remote
