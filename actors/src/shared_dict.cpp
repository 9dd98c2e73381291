#include "troupe/actors/shared_dict.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/actors/shared_error.hpp"
#include "troupe/system.hpp"

#include "remote/shared_values.hpp"

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

// -- Protobuf clients (proto/troupe/actors/shared_dict.proto) ---------------------------------

/// An optional Value field as an optional value. Error: a Value with no kind.
caf::expected<std::optional<value>> optional_of(bool present, const Value& x) {
  if (!present)
    return std::optional<value>{};
  auto result = remote::from_proto(x);
  if (!result)
    return std::move(result.error());
  return std::optional<value>{std::move(*result)};
}

caf::message serve_get(shard_state& st, const DictGet& x) {
  auto key = remote::from_proto(x.key());
  if (!key)
    return remote::shared_error_reply(key.error());
  GetReply reply;
  if (auto i = st.items.find(*key); i != st.items.end())
    *reply.mutable_value() = remote::to_proto(i->second.val);
  return caf::make_message(std::move(reply));
}

caf::message serve_put(shard_state& st, const DictPut& x) {
  auto key = remote::from_proto(x.key());
  auto val = remote::from_proto(x.value());
  if (!key || !val)
    return remote::shared_error_reply(!key ? key.error() : val.error());
  st.put(std::move(*key), std::move(*val));
  return caf::make_message(DictDone{});
}

caf::message serve_cas(shard_state& st, const DictCompareAndSet& x) {
  auto key = remote::from_proto(x.key());
  auto expected = optional_of(x.has_expected(), x.expected());
  auto desired = optional_of(x.has_desired(), x.desired());
  if (!key || !expected || !desired)
    return remote::shared_error_reply(!key        ? key.error()
                                      : !expected ? expected.error()
                                                  : desired.error());
  CasReply reply;
  reply.set_ok(st.compare_and_set(std::move(*key), *expected, std::move(*desired)));
  return caf::make_message(std::move(reply));
}

caf::message serve_erase(shard_state& st, const DictErase& x) {
  auto key = remote::from_proto(x.key());
  if (!key)
    return remote::shared_error_reply(key.error());
  CasReply reply;
  reply.set_ok(st.items.erase(*key) > 0);
  return caf::make_message(std::move(reply));
}

caf::message serve_entries(const shard_state& st) {
  DictEntries reply;
  for (auto& e : st.entries()) {
    auto* out = reply.add_entries();
    *out->mutable_key() = remote::to_proto(e.key);
    *out->mutable_value() = remote::to_proto(e.val);
    out->set_stamp(e.stamp);
  }
  return caf::make_message(std::move(reply));
}

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
    // Protobuf clients, after the local requests: the same operations, Protobuf replies.
    [&st](const DictGet& x) { return serve_get(st, x); },
    [&st](const DictPut& x) { return serve_put(st, x); },
    [&st](const DictCompareAndSet& x) { return serve_cas(st, x); },
    [&st](const DictErase& x) { return serve_erase(st, x); },
    [&st](const DictEntriesRequest&) { return serve_entries(st); },
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
