#pragma once

// What the core suites share: a probe (a scoped actor that tests talk through) and a way to
// wait for one message with a time limit instead of sleeping.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>

#include <caf/actor.hpp>
#include <caf/after.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include <doctest/doctest.h>

#include "troupe/system.hpp"

namespace doctest {

/// Prints errors in failed checks as CAF renders them, e.g. "error(3, troupe)".
template <>
struct StringMaker<caf::error> {
  static String convert(const caf::error& x) { return caf::to_string(x).c_str(); }
};

} // namespace doctest

namespace troupe::test {

/// How long a test waits for a message that must come. Only a broken build hits this limit.
inline constexpr std::chrono::seconds patience{5};

/// A scoped actor hidden from `await_all_actors_done`, so tests may call that (or
/// `system::shutdown`) while it exists.
class probe {
public:
  explicit probe(troupe::system& sys) : self_(sys.engine(), true), handle_(self_) {
    // CAF 0.17.6 ignores the `hide` flag of scoped_actor (it launches with no_spawn_options
    // and registers the actor anyway), so take it off the running count here.
    self_->unregister_from_system();
  }

  caf::scoped_actor& operator*() noexcept { return self_; }
  caf::blocking_actor* operator->() const { return self_.ptr(); }

  /// The handle that actors under test report to.
  const caf::actor& handle() const noexcept { return handle_; }

private:
  caf::scoped_actor self_;
  caf::actor handle_;
};

namespace detail {

template <class T>
struct next_message {
  static std::optional<T> get(caf::scoped_actor& self, caf::duration timeout) {
    std::optional<T> result;
    self->receive([&](T& x) { result.emplace(std::move(x)); }, caf::after(timeout) >> [] {});
    return result;
  }
};

template <class... Ts>
struct next_message<std::tuple<Ts...>> {
  static std::optional<std::tuple<Ts...>> get(caf::scoped_actor& self, caf::duration timeout) {
    std::optional<std::tuple<Ts...>> result;
    self->receive([&](Ts&... xs) { result.emplace(std::move(xs)...); },
                  caf::after(timeout) >> [] {});
    return result;
  }
};

} // namespace detail

/// The next message of type `T` (a `std::tuple` for several elements) that reaches `p`;
/// fails the test if none comes within `patience`. Other messages stay in the mailbox.
template <class T>
T next(probe& p) {
  auto result = detail::next_message<T>::get(*p, caf::duration{patience});
  REQUIRE_MESSAGE(result.has_value(), "no " << std::string{typeid(T).name()} << " within 5 s");
  return std::move(*result);
}

/// Waits for the down message of the actor whose address is `who` and returns its reason.
inline caf::error next_down(probe& p, const caf::actor_addr& who) {
  auto down = next<caf::down_msg>(p);
  REQUIRE(down.source == who);
  return down.reason;
}

/// Sends `x` as a request from `p` and returns the int reply or the error.
inline caf::expected<int> ask(probe& p, const caf::actor& dest, int x) {
  caf::expected<int> result = caf::make_error(caf::sec::request_timeout);
  p->request(dest, patience, x)
    .receive([&](int y) { result = y; }, [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// The value of `x`, or `fallback` if it holds an error (caf::expected has no value_or).
template <class T, class U>
T value_or(const caf::expected<T>& x, U&& fallback) {
  return x ? *x : T{std::forward<U>(fallback)};
}

/// Whether `name` is registered for `who` right now.
inline bool resolves_to(troupe::system& sys, std::string_view name, const caf::actor& who) {
  auto found = sys.lookup(name);
  return found && *found == who;
}

/// The error in `x`, or no error if it holds a value.
template <class T>
caf::error error_of(const caf::expected<T>& x) {
  return x ? caf::error{} : x.error();
}

/// The text an error carries as its context, or "" when it has none.
inline std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0) : std::string{};
}

} // namespace troupe::test
