#pragma once

/// Blocking TCP and Unix sockets with troupe's framing (a 4-byte big-endian length, then one
/// serialized Protobuf message): what the raw floors of the network benchmarks are made of.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frames.hpp"
#include "net_harness.hpp"

namespace bench::net {

/// An owned file descriptor, closed by the destructor.
class socket_fd {
public:
  socket_fd() = default;
  explicit socket_fd(int fd) : fd_(fd) {}
  socket_fd(socket_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_fd& operator=(socket_fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~socket_fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  int get() const { return fd_; }

  /// Gives the descriptor up (to a CAF broker, say): it is no longer closed here.
  int release() { return std::exchange(fd_, -1); }
  explicit operator bool() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

namespace detail {

/// Splits "unix:/path" or "host:port"; fills the matching address. Returns an error text or "".
inline std::string make_address(std::string_view endpoint, sockaddr_storage& addr, socklen_t& len) {
  addr = {};
  if (endpoint.rfind("unix:", 0) == 0) {
    auto path = endpoint.substr(5);
    auto& un = reinterpret_cast<sockaddr_un&>(addr);
    if (path.empty() || path.size() >= sizeof un.sun_path)
      return "bad Unix socket path in '" + std::string{endpoint} + "'";
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    len = sizeof un;
    return "";
  }
  auto& in = reinterpret_cast<sockaddr_in&>(addr);
  in.sin_family = AF_INET;
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(endpoint, host, port) ||
      ::inet_pton(AF_INET, host.c_str(), &in.sin_addr) != 1)
    return "bad endpoint '" + std::string{endpoint} + "' (want IPv4:PORT or unix:/path)";
  in.sin_port = htons(port);
  len = sizeof in;
  return "";
}

inline void no_delay(int fd, const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

} // namespace detail

/// Listens on `endpoint` (port 0: the OS chooses). Sets `bound` to the endpoint really bound
/// (`127.0.0.1:PORT` or `unix:/path`). Returns the socket, or an invalid one with `err` set.
inline socket_fd listen_on(std::string_view endpoint, std::string& bound, std::string& err) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (err = detail::make_address(endpoint, addr, len); !err.empty())
    return {};
  socket_fd fd{::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int one = 1;
  if (addr.ss_family == AF_INET)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    err = "cannot listen on " + std::string{endpoint} + ": " + std::strerror(errno);
    return {};
  }
  if (addr.ss_family == AF_UNIX) {
    bound = endpoint;
    return fd;
  }
  sockaddr_in real{};
  socklen_t real_len = sizeof real;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&real), &real_len);
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &real.sin_addr, host, sizeof host);
  bound = std::string{host} + ":" + std::to_string(ntohs(real.sin_port));
  return fd;
}

/// Accepts one connection on `listener` (TCP_NODELAY set on TCP).
inline socket_fd accept_one(const socket_fd& listener) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  socket_fd fd{::accept4(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC)};
  if (fd)
    detail::no_delay(fd.get(), addr);
  return fd;
}

/// Connects to `endpoint` (TCP_NODELAY set on TCP). Returns an invalid socket with `err` set on
/// failure.
inline socket_fd connect_to(std::string_view endpoint, std::string& err) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (err = detail::make_address(endpoint, addr, len); !err.empty())
    return {};
  socket_fd fd{::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    err = "cannot connect to " + std::string{endpoint} + ": " + std::strerror(errno);
    return {};
  }
  detail::no_delay(fd.get(), addr);
  return fd;
}

/// Writes all of `data`; false if the connection failed.
inline bool write_all(const socket_fd& fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

/// Reads frames from a socket: each read takes what is there (up to 64 KiB), and every whole
/// frame in it is handed out before the next read, as a reader that batch-parses does.
class frame_reader {
public:
  explicit frame_reader(const socket_fd& fd) : fd_(fd) {}

  /// Calls `on_frame(const char* data, size_t size)` for each whole frame of one read (reading
  /// first if no whole frame is buffered), until `on_frame` returns false. Returns false at the
  /// end of the stream, on an error, or on a malformed length.
  template <class OnFrame> bool next(OnFrame&& on_frame) {
    for (;;) {
      auto handled = buf_.take_frames(on_frame);
      if (handled != 0)
        return handled > 0;
      if (!fill())
        return false;
    }
  }

private:
  bool fill() {
    for (;;) {
      auto room = buf_.room(64 * 1024);
      auto n = ::read(fd_.get(), room.data(), room.size());
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      buf_.commit(static_cast<size_t>(n));
      return true;
    }
  }

  const socket_fd& fd_;
  frame_buffer buf_;
};

} // namespace bench::net
