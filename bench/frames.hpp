#pragma once

/// troupe's framing without the I/O: each frame a 4-byte big-endian length, then one serialized
/// Protobuf message (here a google.protobuf.Int64Value), and the servers' side of the raw
/// network benchmarks, shared by a blocking socket server and a CAF broker.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <google/protobuf/wrappers.pb.h>

namespace bench::net {

/// The value that ends a one-way stream of sequence numbers (which start at 1).
constexpr int64_t end_marker = -1;

/// Appends one frame (4-byte big-endian length + `msg` serialized) to `out`.
inline void append_frame(std::string& out, const google::protobuf::MessageLite& msg) {
  auto size = msg.ByteSizeLong();
  auto at = out.size();
  out.resize(at + 4 + size);
  auto* p = reinterpret_cast<unsigned char*>(out.data() + at);
  p[0] = static_cast<unsigned char>(size >> 24);
  p[1] = static_cast<unsigned char>(size >> 16);
  p[2] = static_cast<unsigned char>(size >> 8);
  p[3] = static_cast<unsigned char>(size);
  msg.SerializeWithCachedSizesToArray(p + 4);
}

/// Appends the frame of an Int64Value holding `value` to `out`.
inline void append_value(std::string& out, int64_t value) {
  google::protobuf::Int64Value msg;
  msg.set_value(value);
  append_frame(out, msg);
}

/// Bytes received and not yet parsed: whole frames are taken out, a partial one waits for more.
class frame_buffer {
public:
  /// Frames larger than this are refused as malformed.
  static constexpr size_t max_frame = 1 << 20;

  /// Free space at the end for at least `at_least` bytes; `commit` what was written into it.
  std::span<char> room(size_t at_least) {
    if (begin_ > 0) { // keep the partial frame at the front
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < at_least)
      buf_.resize(end_ + at_least);
    return {buf_.data() + end_, buf_.size() - end_};
  }

  void commit(size_t n) { end_ += n; }

  /// Appends `size` bytes received.
  void append(const char* data, size_t size) {
    auto dest = room(size);
    std::memcpy(dest.data(), data, size);
    commit(size);
  }

  /// Calls `on_frame(const char* data, size_t size)` for each whole frame buffered, until it
  /// returns false. Returns how many it handed out, or -1 on a malformed length.
  template <class OnFrame> int take_frames(OnFrame&& on_frame) {
    int handled = 0;
    while (end_ - begin_ >= 4) {
      auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + begin_);
      size_t size = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
      if (size > max_frame)
        return -1;
      if (end_ - begin_ < 4 + size)
        break;
      ++handled;
      begin_ += 4 + size;
      if (!on_frame(buf_.data() + begin_ - size, size))
        break;
    }
    return handled;
  }

private:
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

/// The server of the raw cases, free of I/O: rtt answers each value with value + 1; oneway
/// counts an in-order stream 1, 2, ... and answers the end marker with the count (negative
/// from the first value out of order on). Replies are appended to `out`.
class frame_server {
public:
  explicit frame_server(bool round_trips) : round_trips_(round_trips) {}

  /// Handles one frame; false if it does not parse.
  bool on_frame(const char* data, size_t size, std::string& out) {
    if (!msg_.ParseFromArray(data, static_cast<int>(size)))
      return false;
    auto value = msg_.value();
    if (round_trips_) {
      append_value(out, value + 1);
    } else if (value == end_marker) {
      append_value(out, in_order_ ? count_ : -(count_ + 1));
    } else {
      in_order_ = in_order_ && value == count_ + 1;
      ++count_;
    }
    return true;
  }

private:
  bool round_trips_;
  google::protobuf::Int64Value msg_;
  int64_t count_ = 0;
  bool in_order_ = true;
};

} // namespace bench::net
