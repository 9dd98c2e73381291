#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace troupe::actors::detail {

template <class T> struct subtask_result {
  std::optional<T> value;
  void return_value(T x) { value.emplace(std::move(x)); }
  T take() { return std::move(*value); }
};

template <> struct subtask_result<void> {
  void return_void() noexcept {}
  void take() noexcept {}
};

/// A coroutine that a coroutine actor's body (or another subtask) awaits: it lets a pattern
/// actor split its body into functions that themselves `co_await self.receive(...)`.
///
/// It starts when awaited and resumes its awaiter when it ends (symmetric transfer), so the
/// actor, which resumes whichever coroutine is suspended on a receive, needs to know nothing
/// of it. An exception propagates to the awaiter. Destroying an unfinished subtask (the actor
/// exited meanwhile) destroys its frame.
template <class T = void> class [[nodiscard]] subtask {
public:
  struct promise_type : subtask_result<T> {
    std::coroutine_handle<> awaiter;
    std::exception_ptr escaped;

    subtask get_return_object() noexcept {
      return subtask{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct resume_awaiter {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          return h.promise().awaiter;
        }
        void await_resume() noexcept {}
      };
      return resume_awaiter{};
    }
    void unhandled_exception() noexcept { escaped = std::current_exception(); }
  };

  subtask(subtask&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  subtask& operator=(subtask&&) = delete;
  ~subtask() {
    if (handle_)
      handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> outer) noexcept {
    handle_.promise().awaiter = outer;
    return handle_;
  }

  T await_resume() {
    if (handle_.promise().escaped)
      std::rethrow_exception(handle_.promise().escaped);
    return handle_.promise().take();
  }

private:
  explicit subtask(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

} // namespace troupe::actors::detail
