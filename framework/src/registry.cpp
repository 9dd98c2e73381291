#include "troupe/registry.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

#include "troupe/error.hpp"

namespace troupe {

namespace {

constexpr size_t shard_count = 16;

/// FNV-1a: names are short, and this is cheaper than std::hash on them.
size_t hash_name(std::string_view x) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : x)
    h = (h ^ c) * 0x100000001b3ULL;
  return static_cast<size_t>(h);
}

/// A name with its hash, computed once per lookup for both the shard and the table.
struct hashed_name {
  std::string_view text;
  size_t hash;
  explicit hashed_name(std::string_view x) noexcept : text(x), hash(hash_name(x)) {}
};

struct name_hash {
  using is_transparent = void;
  size_t operator()(std::string_view x) const noexcept { return hash_name(x); }
  size_t operator()(const hashed_name& x) const noexcept { return x.hash; }
};

struct name_equal {
  using is_transparent = void;
  static std::string_view text(std::string_view x) noexcept { return x; }
  static std::string_view text(const hashed_name& x) noexcept { return x.text; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return text(a) == text(b);
  }
};

/// Checks that `x` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view x) {
  auto s = reinterpret_cast<const unsigned char*>(x.data());
  size_t n = x.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n)
      return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

/// Whether `who` is bound and has not terminated. CAF notifies an actor's monitors before it runs
/// the exit hook that unregisters its names (hooks run newest first), so a name whose actor has
/// terminated counts as free already: whoever saw the down message then finds it gone.
bool alive(const caf::strong_actor_ptr& who) {
  return who && !who->get()->getf(caf::abstract_actor::is_terminated_flag);
}

} // namespace

struct registry::shard {
  mutable std::shared_mutex mtx;
  // A null pointer marks a reserved name whose actor is being spawned.
  std::unordered_map<std::string, caf::strong_actor_ptr, name_hash, name_equal> table;
};

registry::registry() : shards_(std::make_unique<shard[]>(shard_count)) {}

registry::~registry() = default;

caf::error registry::validate(std::string_view name) {
  auto invalid = [&](const char* why) {
    return make_error(error_code::invalid_name, std::string{why});
  };
  if (name.empty())
    return invalid("a name is empty");
  if (name.size() > max_name_size)
    return invalid("a name is longer than 255 bytes");
  if (name.find('@') != std::string_view::npos)
    return invalid("'@' is reserved for name@host:port");
  if (!valid_utf8(name))
    return invalid("a name is not valid UTF-8");
  return caf::none;
}

registry::shard& registry::shard_of(size_t hash) const {
  return shards_[hash % shard_count];
}

void registry::changed() noexcept {
  generation_.fetch_add(1, std::memory_order_release);
}

caf::error registry::add(std::string_view name, caf::strong_actor_ptr who) {
  if (auto err = reserve(name))
    return err;
  commit(name, std::move(who));
  return caf::none;
}

caf::error registry::reserve(std::string_view name) {
  if (auto err = validate(name))
    return err;
  hashed_name key{name};
  auto& s = shard_of(key.hash);
  std::unique_lock guard{s.mtx};
  auto [it, added] = s.table.try_emplace(std::string{name}, nullptr);
  if (added)
    return caf::none;
  if (it->second == nullptr || alive(it->second))
    return make_error(error_code::duplicate_name, std::string{name});
  it->second = nullptr; // its actor has terminated; its exit hook will not remove the new entry
  changed();
  return caf::none;
}

void registry::commit(std::string_view name, caf::strong_actor_ptr who) {
  {
    hashed_name key{name};
    auto& s = shard_of(key.hash);
    std::unique_lock guard{s.mtx};
    auto it = s.table.find(key);
    if (it == s.table.end())
      return;
    it->second = who;
    changed();
  }
  // Outside the lock: on an actor that already exited, the hook runs at once.
  forget_on_exit(name, who);
}

void registry::cancel(std::string_view name) {
  hashed_name key{name};
  auto& s = shard_of(key.hash);
  std::unique_lock guard{s.mtx};
  auto it = s.table.find(key);
  if (it != s.table.end() && it->second == nullptr)
    s.table.erase(it);
}

bool registry::remove(std::string_view name) {
  hashed_name key{name};
  auto& s = shard_of(key.hash);
  std::unique_lock guard{s.mtx};
  auto it = s.table.find(key);
  if (it == s.table.end() || it->second == nullptr)
    return false;
  bool was_alive = alive(it->second);
  s.table.erase(it);
  changed();
  return was_alive;
}

void registry::remove_if_bound_to(std::string_view name, caf::actor_id id) {
  hashed_name key{name};
  auto& s = shard_of(key.hash);
  std::unique_lock guard{s.mtx};
  auto it = s.table.find(key);
  if (it != s.table.end() && it->second != nullptr && it->second->id() == id) {
    s.table.erase(it);
    changed();
  }
}

void registry::forget_on_exit(std::string_view name, const caf::strong_actor_ptr& who) {
  if (!who)
    return;
  who->get()->attach_functor(
    [this, name = std::string{name}, id = who->id()] { remove_if_bound_to(name, id); });
}

caf::strong_actor_ptr registry::find(std::string_view name) const {
  hashed_name key{name};
  auto& s = shard_of(key.hash);
  std::shared_lock guard{s.mtx};
  auto it = s.table.find(key);
  return it != s.table.end() && alive(it->second) ? it->second : nullptr;
}

std::vector<std::string> registry::names() const {
  std::vector<std::string> result;
  for (size_t i = 0; i < shard_count; ++i) {
    std::shared_lock guard{shards_[i].mtx};
    for (auto& [name, who] : shards_[i].table)
      if (alive(who))
        result.push_back(name);
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<caf::strong_actor_ptr> registry::actors() const {
  std::vector<caf::strong_actor_ptr> result;
  for (size_t i = 0; i < shard_count; ++i) {
    std::shared_lock guard{shards_[i].mtx};
    for (auto& [name, who] : shards_[i].table)
      if (alive(who))
        result.push_back(who);
  }
  return result;
}

} // namespace troupe
