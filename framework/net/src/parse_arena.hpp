#pragma once

#include <optional>

#include <google/protobuf/arena.h>

namespace troupe::net::detail {

/// The arena one received frame is parsed on, for the time of one frame. Frames are parsed on
/// one arena per thread, shared by all connections that thread serves (an arena per connection
/// would hold its first block for the connection's life) and reset when the lease ends. If a
/// callback parses a frame of another connection meanwhile, that one gets an arena of its own.
class arena_lease {
public:
  /// Takes this thread's arena, or a fresh one if it is taken.
  arena_lease();

  /// Resets the thread's arena (freeing all but its first block) and gives it back.
  ~arena_lease();

  arena_lease(const arena_lease&) = delete;
  arena_lease& operator=(const arena_lease&) = delete;

  /// The arena to parse on.
  google::protobuf::Arena& arena() { return own_ ? *own_ : *shared_; }

private:
  google::protobuf::Arena* shared_ = nullptr;
  std::optional<google::protobuf::Arena> own_;
};

} // namespace troupe::net::detail
