#pragma once

// A linearizability checker for the history of one register (one key of a dictionary), after
// Wing & Gong, with the memoization of Lowe's / Knossos' variants: search for an order of the
// operations that respects real time (an operation that returned before another was called
// comes first) and in which every result is what a single register would have answered.

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace troupe::test {

/// One completed operation on the register, with its real-time interval.
struct register_op {
  enum kind_type { get, put, cas, erase };
  kind_type kind = get;
  /// put: the value written; cas: the expected value (nullopt: absent).
  std::optional<int64_t> arg;
  /// cas: the desired value (nullopt: delete).
  std::optional<int64_t> arg2;
  /// get: the value read.
  std::optional<int64_t> read;
  /// cas: whether it swapped; erase: whether the key was there.
  bool ok = false;
  /// When it was called and when it returned (any clock that all clients share).
  int64_t call = 0;
  int64_t ret = 0;
};

namespace detail {

class register_search {
public:
  explicit register_search(const std::vector<register_op>& ops) : ops_(ops) {}

  bool run() { return step(0, state{}); }

private:
  /// The register: absent, or a value. (Not std::optional: GCC 12 warns falsely on copies.)
  struct state {
    bool present = false;
    int64_t val = 0;
    bool operator==(const std::optional<int64_t>& x) const {
      return x ? present && val == *x : !present;
    }
    void operator=(const std::optional<int64_t>& x) {
      present = x.has_value();
      val = x.value_or(0);
    }
    auto operator<=>(const state&) const = default;
  };

  /// Applies `op` to `s`; false if `op`'s result contradicts `s`.
  static bool apply(const register_op& op, state& s) {
    switch (op.kind) {
    case register_op::get:
      return op.read == s;
    case register_op::put:
      s = op.arg;
      return true;
    case register_op::cas:
      if ((s == op.arg) != op.ok)
        return false;
      if (op.ok)
        s = op.arg2;
      return true;
    case register_op::erase:
      if (s.present != op.ok)
        return false;
      s = std::nullopt;
      return true;
    }
    return false;
  }

  bool step(uint64_t done, const state& s) {
    if (done == (ops_.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << ops_.size()) - 1))
      return true;
    if (!seen_.insert({done, s}).second)
      return false;
    // Only an operation called before every remaining one returned may come next.
    int64_t first_return = INT64_MAX;
    for (size_t i = 0; i < ops_.size(); ++i)
      if ((done & (uint64_t{1} << i)) == 0 && ops_[i].ret < first_return)
        first_return = ops_[i].ret;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if ((done & (uint64_t{1} << i)) != 0 || ops_[i].call > first_return)
        continue;
      auto next = s;
      if (apply(ops_[i], next) && step(done | (uint64_t{1} << i), next))
        return true;
    }
    return false;
  }

  const std::vector<register_op>& ops_;
  std::set<std::pair<uint64_t, state>> seen_;
};

} // namespace detail

/// Whether `ops` (at most 64, on one register that starts absent) is linearizable.
inline bool linearizable(const std::vector<register_op>& ops) {
  return detail::register_search{ops}.run();
}

} // namespace troupe::test
