#include "endpoint.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "troupe/net/error.hpp"

namespace troupe::net::detail {

namespace {

constexpr std::string_view unix_prefix = "unix:";

caf::error invalid(std::string_view text, std::string_view why) {
  return make_error(error_code::invalid_endpoint, std::string{text} + ": " + std::string{why});
}

caf::error failed(const endpoint& where, const char* call) {
  return make_error(error_code::connect_failed,
                    where.to_string() + ": " + call + ": " + std::strerror(errno));
}

/// Owns a descriptor until `release()`.
class fd_guard {
public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

bool fill_unix_address(const endpoint& where, sockaddr_un& addr) {
  if (where.path.size() >= sizeof(addr.sun_path))
    return false;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, where.path.data(), where.path.size());
  return true;
}

/// Resolves an IPv4 address for `host` (numeric first; names through the resolver).
bool fill_tcp_address(const endpoint& where, sockaddr_in& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(where.port);
  if (::inet_pton(AF_INET, where.host.c_str(), &addr.sin_addr) == 1)
    return true;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(where.host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
    return false;
  addr.sin_addr = reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return true;
}

int new_socket(int domain) {
  return ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/// Removes a socket file at `path` that nobody listens on any more (left by a killed node).
void remove_stale_socket(const endpoint& where) {
  struct stat st {};
  if (::lstat(where.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
    return;
  sockaddr_un addr{};
  if (!fill_unix_address(where, addr))
    return;
  fd_guard probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (probe.get() < 0)
    return;
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno == ECONNREFUSED)
    ::unlink(where.path.c_str());
}

caf::expected<int> open_unix_listener(endpoint& where) {
  sockaddr_un addr{};
  if (!fill_unix_address(where, addr))
    return invalid(where.to_string(), "path too long");
  remove_stale_socket(where);
  fd_guard fd{new_socket(AF_UNIX)};
  if (fd.get() < 0)
    return failed(where, "socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return failed(where, "bind");
  // Owner-only before listen(): nobody else can connect in between.
  if (::chmod(where.path.c_str(), 0600) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    auto err = failed(where, "chmod/listen");
    ::unlink(where.path.c_str());
    return err;
  }
  return fd.release();
}

caf::expected<int> open_tcp_listener(endpoint& where) {
  sockaddr_in addr{};
  if (!fill_tcp_address(where, addr))
    return invalid(where.to_string(), "cannot resolve host");
  fd_guard fd{new_socket(AF_INET)};
  if (fd.get() < 0)
    return failed(where, "socket");
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return failed(where, "bind");
  if (::listen(fd.get(), SOMAXCONN) != 0)
    return failed(where, "listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return failed(where, "getsockname");
  where.port = ntohs(addr.sin_port);
  return fd.release();
}

} // namespace

std::string endpoint::to_string() const {
  if (is_unix)
    return std::string{unix_prefix} + path;
  return host + ':' + std::to_string(port);
}

caf::expected<endpoint> parse_endpoint(std::string_view text) {
  endpoint result;
  if (text.starts_with(unix_prefix)) {
    result.is_unix = true;
    result.path = std::string{text.substr(unix_prefix.size())};
    if (result.path.empty())
      return invalid(text, "empty socket path");
    return result;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return invalid(text, "expected host:port or unix:/path");
  auto digits = text.substr(colon + 1);
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
    return invalid(text, "the port is not a number from 0 to 65535");
  result.host = std::string{text.substr(0, colon)};
  result.port = port;
  return result;
}

caf::expected<int> open_listener(endpoint& where) {
  return where.is_unix ? open_unix_listener(where) : open_tcp_listener(where);
}

caf::expected<int> start_connect(const endpoint& where) {
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (where.is_unix) {
    auto& addr = reinterpret_cast<sockaddr_un&>(storage);
    if (!fill_unix_address(where, addr))
      return invalid(where.to_string(), "path too long");
    len = sizeof(sockaddr_un);
  } else {
    auto& addr = reinterpret_cast<sockaddr_in&>(storage);
    if (!fill_tcp_address(where, addr))
      return invalid(where.to_string(), "cannot resolve host");
    if (where.port == 0)
      return invalid(where.to_string(), "cannot connect to port 0");
    len = sizeof(sockaddr_in);
  }
  fd_guard fd{new_socket(where.is_unix ? AF_UNIX : AF_INET)};
  if (fd.get() < 0)
    return failed(where, "socket");
  set_no_delay(fd.get());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), len) != 0 && errno != EINPROGRESS)
    return failed(where, "connect");
  return fd.release();
}

void set_no_delay(int fd) noexcept {
  int domain = 0;
  socklen_t len = sizeof(domain);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_INET)
    return;
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

} // namespace troupe::net::detail

namespace troupe::net::detail {

std::string describe_peer(int fd) {
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0)
    return "unknown peer";
  if (storage.ss_family == AF_INET) {
    auto& addr = reinterpret_cast<sockaddr_in&>(storage);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
    return std::string{text} + ':' + std::to_string(ntohs(addr.sin_port));
  }
  len = sizeof(storage);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) == 0 &&
      storage.ss_family == AF_UNIX)
    return std::string{"unix:"} + reinterpret_cast<sockaddr_un&>(storage).sun_path;
  return "unix peer";
}

} // namespace troupe::net::detail
