#include "troupe/actors/shared_dict.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/actors/shared_error.hpp"
#include "troupe/system.hpp"

namespace troupe::actors {

namespace {

using dict = shared_dict;

/// Stamps insertions across the shards of one dictionary, so a snapshot can order them.
using stamp_counter = std::shared_ptr<std::atomic<uint64_t>>;

/// One shard: its keys, each with its value and insertion stamp.
struct shard_state {
  struct slot {
    value val;
    uint64_t stamp;
  };
  std::unordered_map<value, slot> items;
  stamp_counter stamps;

  void put(value key, value val) {
    auto i = items.find(key);
    if (i != items.end()) {
      i->second.val = std::move(val);
      return;
    }
    items.emplace(std::move(key), slot{std::move(val), stamps->fetch_add(1)});
  }

  bool compare_and_set(value key, const std::optional<value>& expected,
                       std::optional<value> desired) {
    auto i = items.find(key);
    bool matches = i == items.end() ? !expected : (expected && *expected == i->second.val);
    if (!matches)
      return false;
    if (!desired) {
      if (i != items.end())
        items.erase(i);
    } else {
      put(std::move(key), std::move(*desired));
    }
    return true;
  }

  std::vector<dict_entry> entries() const {
    std::vector<dict_entry> result;
    result.reserve(items.size());
    for (auto& [k, s] : items)
      result.push_back(dict_entry{k, s.val, s.stamp});
    return result;
  }
};

caf::behavior shard(caf::stateful_actor<shard_state>* self, stamp_counter stamps) {
  self->state.stamps = std::move(stamps);
  auto& st = self->state;
  return {
    [&st](dict::get_atom, const value& key) -> std::optional<value> {
      auto i = st.items.find(key);
      if (i == st.items.end())
        return std::nullopt;
      return i->second.val;
    },
    [&st](dict::put_atom, value& key, value& val) { st.put(std::move(key), std::move(val)); },
    [&st](dict::cas_atom, value& key, const std::optional<value>& expected,
          std::optional<value>& desired) {
      return st.compare_and_set(std::move(key), expected, std::move(desired));
    },
    [&st](dict::erase_atom, const value& key) { return st.items.erase(key) > 0; },
    [&st](dict::entries_atom) { return st.entries(); },
    [&st](dict::size_atom) { return static_cast<uint64_t>(st.items.size()); },
  };
}

/// Gathers one snapshot: asks each shard in turn, then orders the items by insertion.
task gather(co_actor& self, std::vector<caf::actor> shards) {
  (void)co_await self.receive<caf::atom_value>();
  auto promise = self.take_reply_promise();
  std::vector<dict_entry> all;
  for (auto& s : shards) {
    auto part = co_await self.request<std::vector<dict_entry>>(s, dict::entries_atom::value);
    if (!part) {
      promise.deliver(std::move(part.error()));
      co_return;
    }
    all.insert(all.end(), std::make_move_iterator(part->begin()),
               std::make_move_iterator(part->end()));
  }
  std::sort(all.begin(), all.end(),
            [](const dict_entry& x, const dict_entry& y) { return x.stamp < y.stamp; });
  dict_items result;
  result.reserve(all.size());
  for (auto& e : all)
    result.emplace_back(std::move(e.key), std::move(e.val));
  promise.deliver(std::move(result));
}

} // namespace

std::string repr(const dict_items& items) {
  std::string out = "{";
  for (auto& [k, v] : items) {
    if (out.size() > 1)
      out += ", ";
    out += repr(k) + ": " + repr(v);
  }
  return out + "}";
}

caf::expected<shared_dict> shared_dict::spawn(troupe::system& sys, size_t shards) {
  if (shards == 0)
    return make_error(shared_error::invalid_argument, "a shared_dict needs at least one shard");
  auto stamps = std::make_shared<std::atomic<uint64_t>>(0);
  std::vector<caf::actor> actors;
  for (size_t i = 0; i < shards; ++i)
    actors.push_back(sys.engine().spawn(shard, stamps));
  return shared_dict{std::move(actors)};
}

const caf::actor& shared_dict::shard_for(const value& key) const noexcept {
  return shards_[std::hash<value>{}(key) % shards_.size()];
}

co_actor::request_awaiter<dict_items> shared_dict::snapshot(co_actor& self) const {
  auto gatherer = self.spawn(gather, shards_);
  return self.request<dict_items>(gatherer, caf::atom("dict_snap"));
}

} // namespace troupe::actors
