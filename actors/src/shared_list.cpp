#include "troupe/actors/shared_list.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/actors/shared_error.hpp"
#include "troupe/system.hpp"

#include "remote/shared_values.hpp"

namespace troupe::actors {

namespace {

using list = shared_list;

struct list_state {
  list_items items;
};

/// The item at Python index `i` (negative counts from the end). Error: index_out_of_range.
caf::expected<value> item_at(const list_items& items, int64_t i) {
  auto n = static_cast<int64_t>(items.size());
  auto at = i < 0 ? i + n : i;
  if (at < 0 || at >= n)
    return make_error(shared_error::index_out_of_range,
                      "index " + std::to_string(i) + " of a list of " + std::to_string(n));
  return items[static_cast<size_t>(at)];
}

/// Removes and returns the last item. Error: empty_list.
caf::expected<value> pop_last(list_items& items) {
  if (items.empty())
    return make_error(shared_error::empty_list, "pop from an empty list");
  auto last = std::move(items.back());
  items.pop_back();
  return last;
}

/// The Protobuf reply of a value or an error.
caf::message proto_reply(caf::expected<value> x) {
  if (!x)
    return remote::shared_error_reply(x.error());
  return caf::make_message(remote::to_proto(*x));
}

caf::behavior list_actor(caf::stateful_actor<list_state>* self, list_items initial) {
  self->state.items = std::move(initial);
  auto& items = self->state.items;
  return {
    [&items](list::append_atom, value& x) { items.push_back(std::move(x)); },
    [&items](list::reverse_atom) { std::reverse(items.begin(), items.end()); },
    [&items](list::at_atom, int64_t i) -> caf::result<value> { return item_at(items, i); },
    [&items](list::pop_atom) -> caf::result<value> { return pop_last(items); },
    [&items](list::size_atom) { return static_cast<uint64_t>(items.size()); },
    [&items](list::snapshot_atom) { return items; },
    // Protobuf clients, after the local requests: the same operations, Protobuf replies.
    [&items](const ListAppend& x) {
      auto item = remote::from_proto(x.item());
      if (!item)
        return remote::shared_error_reply(item.error());
      items.push_back(std::move(*item));
      return caf::make_message(DictDone{});
    },
    [&items](const ListReverse&) {
      std::reverse(items.begin(), items.end());
      return caf::make_message(DictDone{});
    },
    [&items](const ListAt& x) { return proto_reply(item_at(items, x.index())); },
    [&items](const ListPop&) { return proto_reply(pop_last(items)); },
    [&items](const ListSnapshot&) {
      ListItems reply;
      for (auto& x : items)
        *reply.add_items() = remote::to_proto(x);
      return caf::make_message(std::move(reply));
    },
  };
}

} // namespace

std::string repr(const list_items& items) {
  std::string out = "[";
  for (auto& x : items) {
    if (out.size() > 1)
      out += ", ";
    out += repr(x);
  }
  return out + "]";
}

shared_list shared_list::spawn(troupe::system& sys, list_items items) {
  return shared_list{sys.engine().spawn(list_actor, std::move(items))};
}

} // namespace troupe::actors
