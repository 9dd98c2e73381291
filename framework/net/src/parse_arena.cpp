#include "parse_arena.hpp"

#include <cstddef>
#include <memory>

namespace troupe::net::detail {

namespace {

/// The arena's first block (kept across frames) and its later blocks are of this size: a
/// batch of up to 64 KiB mostly fits the first.
constexpr std::size_t block_size = 64 * 1024;

struct thread_arena {
  std::unique_ptr<char[]> block = std::make_unique<char[]>(block_size);
  google::protobuf::Arena arena{options(block.get())};
  bool busy = false;

  static google::protobuf::ArenaOptions options(char* first) {
    google::protobuf::ArenaOptions opts;
    opts.initial_block = first;
    opts.initial_block_size = block_size;
    opts.max_block_size = block_size;
    return opts;
  }
};

thread_arena& this_thread_arena() {
  thread_local thread_arena instance;
  return instance;
}

} // namespace

arena_lease::arena_lease() {
  auto& t = this_thread_arena();
  if (t.busy) {
    own_.emplace();
    return;
  }
  t.busy = true;
  shared_ = &t.arena;
}

arena_lease::~arena_lease() {
  if (shared_ == nullptr)
    return;
  shared_->Reset();
  this_thread_arena().busy = false;
}

} // namespace troupe::net::detail
