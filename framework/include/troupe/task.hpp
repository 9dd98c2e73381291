#pragma once

#include <coroutine>
#include <exception>
#include <utility>

namespace troupe {

/// The return type of a coroutine actor's body: `troupe::task body(troupe::co_actor& self)`.
/// The actor that runs the body owns the coroutine frame; user code never resumes it.
class task {
public:
  struct promise_type {
    /// What escaped the body, rethrown by the actor as its exit reason.
    std::exception_ptr escaped;

    task get_return_object() noexcept {
      return task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    /// Suspended at the start: the actor runs the body once it is initialized.
    std::suspend_always initial_suspend() noexcept { return {}; }
    /// Suspended at the end: the actor inspects `escaped`, then destroys the frame.
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { escaped = std::current_exception(); }
  };

  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  /// The coroutine frame, or a null handle for a moved-from task.
  handle_type handle() const noexcept { return handle_; }

  /// Destroys the frame (and everything it holds) now.
  void reset() noexcept {
    if (handle_)
      std::exchange(handle_, {}).destroy();
  }

private:
  explicit task(handle_type h) noexcept : handle_(h) {}
  handle_type handle_;
};

} // namespace troupe
