#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace troupe::net::detail {

/// Where a node listens or connects: a TCP host and port, or a Unix socket path.
struct endpoint {
  /// True for `unix:/path`, false for `host:port`.
  bool is_unix = false;
  /// The host name or IPv4 address (TCP only).
  std::string host;
  /// The TCP port; 0 asks the OS to choose one when listening.
  uint16_t port = 0;
  /// The socket's path (Unix only).
  std::string path;

  /// The canonical text form: `host:port` or `unix:/path`.
  std::string to_string() const;
};

/// Parses `host:port` or `unix:/path`. Error: `invalid_endpoint` with the reason.
caf::expected<endpoint> parse_endpoint(std::string_view text);

/// Opens a listening socket on `where` and returns its descriptor; `where.port` is updated to
/// the port actually bound. A Unix socket file is created owner-only (0600); a stale socket
/// file at that path (nobody listening) is replaced. Errors: `invalid_endpoint`,
/// `connect_failed` (the system call that failed, with errno's text).
caf::expected<int> open_listener(endpoint& where);

/// Starts a non-blocking connect to `where` and returns the socket; the connection completes
/// (or fails) later, reported by the first read or write on it. Errors as `open_listener`.
caf::expected<int> start_connect(const endpoint& where);

/// Turns off Nagle's algorithm on TCP sockets (small frames must not wait); no-op otherwise.
void set_no_delay(int fd) noexcept;

} // namespace troupe::net::detail

namespace troupe::net::detail {

/// The address of a connected socket's peer for log lines: `ip:port`, or `unix:/path` (the
/// path this side listens on) for a Unix socket.
std::string describe_peer(int fd);

} // namespace troupe::net::detail
