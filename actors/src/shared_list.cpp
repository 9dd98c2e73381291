#include "troupe/actors/shared_list.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/actors/shared_error.hpp"
#include "troupe/system.hpp"

namespace troupe::actors {

namespace {

using list = shared_list;

struct list_state {
  list_items items;
};

caf::behavior list_actor(caf::stateful_actor<list_state>* self, list_items initial) {
  self->state.items = std::move(initial);
  auto& items = self->state.items;
  return {
    [&items](list::append_atom, value& x) { items.push_back(std::move(x)); },
    [&items](list::reverse_atom) { std::reverse(items.begin(), items.end()); },
    [&items](list::at_atom, int64_t i) -> caf::result<value> {
      auto n = static_cast<int64_t>(items.size());
      auto at = i < 0 ? i + n : i;
      if (at < 0 || at >= n)
        return make_error(shared_error::index_out_of_range,
                          "index " + std::to_string(i) + " of a list of " + std::to_string(n));
      return items[static_cast<size_t>(at)];
    },
    [&items](list::pop_atom) -> caf::result<value> {
      if (items.empty())
        return make_error(shared_error::empty_list, "pop from an empty list");
      auto last = std::move(items.back());
      items.pop_back();
      return last;
    },
    [&items](list::size_atom) { return static_cast<uint64_t>(items.size()); },
    [&items](list::snapshot_atom) { return items; },
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
