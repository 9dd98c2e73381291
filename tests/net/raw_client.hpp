#pragma once

// A raw-socket peer for the network tests: it speaks the wire protocol by hand (frames built
// from troupe/wire.proto), so tests can send what no troupe node would: noise, oversized or
// broken frames, data before the handshake, bytes one at a time.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "troupe/wire.pb.h"

namespace troupe::test {

/// A blocking client socket with frame helpers. Closes its socket when destroyed.
class raw_client {
public:
  /// Connects to `endpoint` ("127.0.0.1:PORT" or "unix:/path"); throws if it cannot.
  explicit raw_client(const std::string& endpoint) {
    if (endpoint.starts_with("unix:")) {
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      auto path = endpoint.substr(5);
      path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
        throw std::runtime_error("connect failed: " + endpoint);
      return;
    }
    auto colon = endpoint.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(endpoint.substr(colon + 1))));
    ::inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &addr.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      throw std::runtime_error("connect failed: " + endpoint);
  }

  ~raw_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Writes `bytes` as they are.
  void write_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0)
        return; // The node closed: what the test reads next tells.
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// Writes `bytes` one byte per system call.
  void write_bytewise(std::string_view bytes) {
    for (char c : bytes)
      write_raw(std::string_view{&c, 1});
  }

  /// A frame's bytes: the 4-byte big-endian length, then the serialized frame.
  static std::string encode(const troupe::wire::Frame& frame) {
    auto body = frame.SerializeAsString();
    return length_prefix(static_cast<uint32_t>(body.size())) + body;
  }

  /// A length prefix alone.
  static std::string length_prefix(uint32_t n) {
    std::string result(4, '\0');
    result[0] = static_cast<char>(n >> 24);
    result[1] = static_cast<char>(n >> 16);
    result[2] = static_cast<char>(n >> 8);
    result[3] = static_cast<char>(n);
    return result;
  }

  /// Writes one frame.
  void write_frame(const troupe::wire::Frame& frame) { write_raw(encode(frame)); }

  /// The next frame from the node, or nullopt on end of stream or after `timeout`.
  std::optional<troupe::wire::Frame> read_frame(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (buffer_.size() >= 4) {
        auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
        uint32_t n =
          (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
        if (buffer_.size() >= 4 + n) {
          troupe::wire::Frame frame;
          frame.ParseFromArray(buffer_.data() + 4, static_cast<int>(n));
          buffer_.erase(0, 4 + n);
          return frame;
        }
      }
      if (!fill(deadline))
        return std::nullopt;
    }
  }

  /// The next frame that is not a heartbeat.
  std::optional<troupe::wire::Frame> read_non_heartbeat(std::chrono::milliseconds timeout) {
    for (;;) {
      auto frame = read_frame(timeout);
      if (!frame || !frame->has_heartbeat())
        return frame;
    }
  }

  /// True once the node closed the connection (reads end of stream within `timeout`),
  /// skipping whatever frames come first.
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      buffer_.clear();
      if (!fill(deadline))
        return eof_;
    }
  }

  /// Runs the connector's side of the handshake without a secret; true if it succeeded.
  bool handshake(uint32_t version = 1) {
    troupe::wire::Frame hello;
    auto* h = hello.mutable_hello();
    h->set_version(version);
    h->set_incarnation(random64());
    h->set_nonce(random_bytes(32));
    h->set_max_frame_size(16 * 1024 * 1024);
    write_frame(hello);
    auto challenge = read_frame(std::chrono::seconds{5});
    if (!challenge || !challenge->has_challenge())
      return false;
    troupe::wire::Frame welcome;
    welcome.mutable_welcome();
    write_frame(welcome);
    return true;
  }

  /// A Batch frame with one message to `name` carrying an Int32Value, as a request if
  /// `request_id` is not 0.
  static troupe::wire::Frame request_frame(std::string_view name, int32_t value,
                                           uint64_t request_id, std::string_view type_url = {}) {
    troupe::wire::Frame frame;
    auto* batch = frame.mutable_batch();
    batch->add_type_urls(type_url.empty()
                           ? std::string{"type.googleapis.com/google.protobuf.Int32Value"}
                           : std::string{type_url});
    batch->add_target_names(std::string{name});
    auto* msg = batch->add_messages();
    msg->set_target_name(1);
    msg->set_request_id(request_id);
    auto* payload = msg->add_payload();
    payload->set_type(0);
    // Int32Value { int32 value = 1; } as bytes: tag 0x08, then the varint.
    std::string bytes{"\x08"};
    auto v = static_cast<uint32_t>(value);
    do {
      auto byte = static_cast<char>(v & 0x7F);
      v >>= 7;
      bytes.push_back(static_cast<char>(v != 0 ? (byte | 0x80) : byte));
    } while (v != 0);
    payload->set_value(bytes);
    return frame;
  }

  static uint64_t random64() {
    static std::mt19937_64 gen{std::random_device{}()};
    return gen();
  }

  static std::string random_bytes(size_t n) {
    std::string result(n, '\0');
    for (auto& c : result)
      c = static_cast<char>(random64());
    return result;
  }

private:
  /// Reads more bytes into the buffer; false on end of stream, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

} // namespace troupe::test
