#pragma once

#include <atomic>
#include <cstddef>

namespace troupe::net::detail {

/// Memory blocks for the mailbox elements of one connection's deliveries (`counted_value`),
/// handed back by the threads that consume them and taken again by the broker. A stream's
/// elements are allocated on the I/O thread and freed on a worker: with malloc, each of them
/// crossed threads (the broker found its cache empty, the worker's overflowed to the
/// allocator's locked bins), about a tenth of the receiving side's time in a profile.
/// `take` is for the broker (whichever thread leads its loop); `give` for any thread. The pool
/// owns as many blocks as deliveries wait at once (the inbox watermarks bound them), and keeps
/// at most `max_kept` once they are consumed: a burst does not pin its memory.
class delivery_pool {
public:
  /// The size of every block: large enough for the element of every built-in type.
  static constexpr std::size_t block_size = 128;

  /// Blocks kept for reuse at most (512 KiB).
  static constexpr std::size_t max_kept = 4096;

  delivery_pool() = default;
  delivery_pool(const delivery_pool&) = delete;
  delivery_pool& operator=(const delivery_pool&) = delete;

  /// Frees every block (no element lives in one any more).
  ~delivery_pool();

  /// Returns a block of `block_size` bytes, recycled or new (the broker's thread only).
  void* take();

  /// Returns `block` (from `take`, its element destroyed) to the pool; any thread.
  void give(void* block) noexcept;

private:
  struct node {
    node* next;
  };

  static void free_list(node* n) noexcept;

  /// Blocks given back, pushed by any thread.
  std::atomic<node*> returned_{nullptr};
  /// Blocks the broker took over from `returned_` in one go (its thread only).
  node* ready_ = nullptr;
  /// Blocks this pool allocated and did not free yet, in use or not (the broker's thread only).
  std::size_t blocks_ = 0;
};

} // namespace troupe::net::detail
