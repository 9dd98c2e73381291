#pragma once

// How `receive<Ts...>()` and `request<Rs...>()` match and unpack messages, type-erased
// behind plain function pointers so that the actor's dispatch code is not a template.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <variant>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/rtti_pair.hpp>
#include <caf/sec.hpp>
#include <caf/type_erased_tuple.hpp>

namespace troupe::detail {

template <class T>
inline constexpr bool is_duration = false;
template <class Rep, class Period>
inline constexpr bool is_duration<std::chrono::duration<Rep, Period>> = true;

/// Mixes the key of one element type into a signature key.
constexpr uint64_t mix_key(uint64_t seed, uint64_t element) noexcept {
  return (seed ^ element) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
}

/// The key of one element type: CAF's type number for builtins, else the type's hash code.
inline uint64_t element_key(const caf::rtti_pair& rtti) noexcept {
  return rtti.first != 0 ? rtti.first : static_cast<uint64_t>(rtti.second->hash_code());
}

/// The signature key of a message: equal for messages with the same element types.
inline uint64_t signature_key(const caf::type_erased_tuple& xs) noexcept {
  uint64_t h = xs.size();
  for (size_t i = 0; i < xs.size(); ++i)
    h = mix_key(h, element_key(xs.type(i)));
  return h;
}

/// The signature key of a message with elements `Ts...`.
template <class... Ts>
uint64_t signature_key_of() noexcept {
  uint64_t h = sizeof...(Ts);
  ((h = mix_key(h, element_key(caf::make_rtti_pair<Ts>()))), ...);
  return h;
}

/// Whether `xs` holds exactly the elements `Ts...`; leaner than CAF's generic matcher, which
/// would run on every message a coroutine actor receives.
template <class... Ts>
bool holds(const caf::type_erased_tuple& xs) noexcept {
  if (xs.size() != sizeof...(Ts))
    return false;
  size_t i = 0;
  auto same = [&](const caf::rtti_pair& want) {
    auto got = xs.type(i++);
    return got.first == want.first && (want.first != 0 || *got.second == *want.second);
  };
  return (same(caf::make_rtti_pair<Ts>()) && ...);
}

/// Element `i` of `xs` as a `T`: moved out, or copied when the message's data is shared (an
/// actor that keeps what it sent, as a bounded buffer keeps an item until `task_done`). Taking
/// a mutable element of a shared message would first copy all of it into a new allocation.
template <class T>
T take_element(caf::type_erased_tuple& xs, size_t i) {
  return xs.move_if_unshared<T>(i);
}

/// How one alternative of a receive matches: `T`, `std::tuple<As...>` or `caf::message` (any).
template <class T>
struct element_pattern {
  using value_type = T;
  static constexpr bool any = false;
  static uint64_t key() noexcept { return signature_key_of<T>(); }
  static bool match(const caf::type_erased_tuple& xs) noexcept { return holds<T>(xs); }
  static T take(caf::type_erased_tuple& xs) {
    return take_element<T>(xs, 0);
  }
};

template <class... As>
struct element_pattern<std::tuple<As...>> {
  using value_type = std::tuple<As...>;
  static constexpr bool any = false;
  static uint64_t key() noexcept { return signature_key_of<As...>(); }
  static bool match(const caf::type_erased_tuple& xs) noexcept { return holds<As...>(xs); }
  static value_type take(caf::type_erased_tuple& xs) {
    return take_impl(xs, std::index_sequence_for<As...>{});
  }
  template <size_t... Is>
  static value_type take_impl(caf::type_erased_tuple& xs, std::index_sequence<Is...>) {
    return value_type{take_element<As>(xs, Is)...};
  }
};

template <>
struct element_pattern<caf::message> {
  using value_type = caf::message;
  static constexpr bool any = true;
  static uint64_t key() noexcept { return 0; }
  static bool match(const caf::type_erased_tuple&) noexcept { return true; }
  static caf::message take(caf::type_erased_tuple& xs) { return caf::message::copy(xs); }
};

/// The signature keys a receive waits for; `any` means every message matches.
struct key_set {
  std::span<const uint64_t> keys;
  bool any = false;
};

/// The alternatives `Ts...` of one receive.
template <class... Ts>
struct message_pattern {
  using value_type =
    std::conditional_t<sizeof...(Ts) == 1,
                       typename element_pattern<std::tuple_element_t<0, std::tuple<Ts...>>>::value_type,
                       std::variant<typename element_pattern<Ts>::value_type...>>;

  static key_set keys() noexcept {
    static const std::array<uint64_t, sizeof...(Ts)> ks{element_pattern<Ts>::key()...};
    return {ks, (element_pattern<Ts>::any || ...)};
  }

  static bool match(const caf::type_erased_tuple& xs) noexcept {
    return (element_pattern<Ts>::match(xs) || ...);
  }

  /// Moves the value out of `xs` into `out` if one alternative matches, trying them in order.
  static bool take(std::optional<value_type>& out, caf::type_erased_tuple& xs) {
    return (try_take<Ts>(out, xs) || ...);
  }

private:
  template <class T>
  static bool try_take(std::optional<value_type>& out, caf::type_erased_tuple& xs) {
    if (!element_pattern<T>::match(xs))
      return false;
    if constexpr (sizeof...(Ts) == 1)
      out.emplace(element_pattern<T>::take(xs));
    else
      out.emplace(std::in_place_type<typename element_pattern<T>::value_type>,
                  element_pattern<T>::take(xs));
    return true;
  }
};

/// How a request's reply is unpacked into `caf::expected`.
template <class... Rs>
struct reply_pattern {
  using value_type = std::conditional_t<
    sizeof...(Rs) == 0, void,
    std::conditional_t<sizeof...(Rs) == 1, std::tuple_element_t<0, std::tuple<Rs..., void>>,
                       std::tuple<Rs...>>>;
  using result_type = caf::expected<value_type>;

  /// Stores the reply, the error reply, or `sec::unexpected_response`, into `out`.
  static void take(std::optional<result_type>& out, caf::type_erased_tuple& xs) {
    if (holds<caf::error>(xs)) {
      out.emplace(take_element<caf::error>(xs, 0));
    } else if constexpr (sizeof...(Rs) == 0) {
      if (xs.empty())
        out.emplace();
      else
        out.emplace(caf::make_error(caf::sec::unexpected_response, caf::message::copy(xs)));
    } else if constexpr (sizeof...(Rs) == 1) {
      using pat = element_pattern<value_type>;
      if (pat::match(xs))
        out.emplace(pat::take(xs));
      else
        out.emplace(caf::make_error(caf::sec::unexpected_response, caf::message::copy(xs)));
    } else {
      using pat = element_pattern<std::tuple<Rs...>>;
      if (pat::match(xs))
        out.emplace(pat::take(xs));
      else
        out.emplace(caf::make_error(caf::sec::unexpected_response, caf::message::copy(xs)));
    }
  }
};

} // namespace troupe::detail
