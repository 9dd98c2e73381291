#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wire_encoding.hpp"

namespace troupe::net::detail {

/// Cuts a byte stream into frame bodies (4-byte big-endian length + body), however the stream
/// is split into reads. Whole frames inside one read are handed out in place, without copying;
/// only a frame cut by the end of a read is buffered. A length prefix over the limit (or 0) is
/// refused as soon as its 4 bytes are in, before any of its body is buffered.
class frame_splitter {
public:
  /// Why splitting stopped.
  enum class result { more, stopped, too_large, empty };

  /// Creates a splitter that accepts frame bodies of 1 to `max_frame_size` bytes.
  explicit frame_splitter(uint32_t max_frame_size) : max_(max_frame_size) {}

  /// Calls `on_frame(std::span<const char> body)` for each complete frame in `bytes`, in order,
  /// until it returns false (`stopped`) or a length prefix is bad (`too_large`, `empty`, with
  /// `last_length()` the offending value). Returns `more` when all of `bytes` was used.
  template <class OnFrame> result feed(std::span<const char> bytes, OnFrame&& on_frame) {
    const char* p = bytes.data();
    const char* end = p + bytes.size();
    while (p != end) {
      if (have_header_ < 4) {
        // Fast path: a whole frame in place, nothing buffered.
        if (have_header_ == 0 && end - p >= 4) {
          auto n = wire_encoding::get_length_prefix(p);
          if (auto r = check(n); r != result::more)
            return r;
          if (static_cast<std::size_t>(end - p - 4) >= n) {
            if (!on_frame(std::span<const char>{p + 4, n}))
              return result::stopped;
            p += 4 + n;
            continue;
          }
        }
        while (have_header_ < 4 && p != end)
          header_[have_header_++] = *p++;
        if (have_header_ < 4)
          return result::more;
        length_ = wire_encoding::get_length_prefix(header_);
        if (auto r = check(length_); r != result::more)
          return r;
        body_.clear();
      }
      auto take = std::min<std::size_t>(length_ - body_.size(), static_cast<std::size_t>(end - p));
      body_.insert(body_.end(), p, p + take);
      p += take;
      if (body_.size() < length_)
        return result::more;
      have_header_ = 0;
      bool go_on = on_frame(std::span<const char>{body_.data(), body_.size()});
      if (body_.capacity() > keep_capacity)
        std::vector<char>{}.swap(body_); // one huge frame must not pin its memory for good
      if (!go_on)
        return result::stopped;
    }
    return result::more;
  }

  /// The length prefix that made `feed` fail.
  uint32_t last_length() const { return length_; }

  /// Bytes of a partial frame held between reads (header and body).
  std::size_t buffered() const { return have_header_ < 4 ? have_header_ : 4 + body_.size(); }

private:
  static constexpr std::size_t keep_capacity = 1024 * 1024;

  result check(uint32_t n) {
    length_ = n;
    if (n == 0)
      return result::empty;
    if (n > max_)
      return result::too_large;
    return result::more;
  }

  uint32_t max_;
  uint32_t length_ = 0;
  std::size_t have_header_ = 0;
  char header_[4] = {};
  std::vector<char> body_;
};

} // namespace troupe::net::detail
