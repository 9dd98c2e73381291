#include "delivery_pool.hpp"

#include <new>

namespace troupe::net::detail {

delivery_pool::~delivery_pool() {
  free_list(ready_);
  free_list(returned_.load(std::memory_order_acquire));
}

void delivery_pool::free_list(node* n) noexcept {
  while (n != nullptr) {
    auto* next = n->next;
    ::operator delete(static_cast<void*>(n));
    n = next;
  }
}

void* delivery_pool::take() {
  if (ready_ == nullptr) {
    // Everything given back at once: no ABA problem, one atomic operation per batch.
    ready_ = returned_.exchange(nullptr, std::memory_order_acquire);
    while (ready_ != nullptr && blocks_ > max_kept) { // after a burst: free the surplus
      auto* surplus = ready_;
      ready_ = surplus->next;
      ::operator delete(static_cast<void*>(surplus));
      --blocks_;
    }
  }
  if (ready_ == nullptr) {
    ++blocks_;
    return ::operator new(block_size);
  }
  auto* block = ready_;
  ready_ = block->next;
  return block;
}

void delivery_pool::give(void* block) noexcept {
  auto* n = ::new (block) node{returned_.load(std::memory_order_relaxed)};
  while (!returned_.compare_exchange_weak(n->next, n, std::memory_order_release,
                                          std::memory_order_relaxed)) {
  }
}

} // namespace troupe::net::detail
