#pragma once

/// The server half of a two-process benchmark: this very program started again as a child
/// process with `--role=server`, whose endpoint is read back from its first output line.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "measure.hpp"
#include "net_harness.hpp"

namespace bench::net {

/// A child process running this program as the server. Its destructor kills it (SIGKILL, which
/// also ends a stopped one) and reaps it, so no exit path of the client leaves it behind; the
/// child also dies with its parent (PR_SET_PDEATHSIG) if the client is killed.
class peer_process {
public:
  peer_process() = default;
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;

  ~peer_process() { kill(); }

  /// Starts `/proc/self/exe` with `args` (argv[1..]) and waits up to `timeout` for its first
  /// output line `listening ENDPOINT`. Returns "" on success, else what went wrong. Call it
  /// before this process starts any thread: it forks.
  std::string start(const std::vector<std::string>& args, std::chrono::seconds timeout) {
    std::string self = "/proc/self/exe";
    auto copy = args; // argv is built before fork: the child only execs
    std::vector<char*> argv{self.data()};
    for (auto& a : copy)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      return "pipe failed";
    auto parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0)
      return "fork failed";
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) // the parent died before prctl took effect
        ::_exit(3);
      ::dup2(out[1], STDOUT_FILENO); // dup2 clears O_CLOEXEC on the copy
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    auto err = read_endpoint(out[0], timeout);
    ::close(out[0]);
    return err;
  }

  /// The endpoint the server printed (`127.0.0.1:PORT` or `unix:/path`).
  const std::string& endpoint() const { return endpoint_; }

  /// Freezes the server (SIGSTOP): its sockets stay open and nobody reads them, a stalled peer.
  void stop() {
    if (pid_ > 0)
      ::kill(pid_, SIGSTOP);
  }

  /// The server's peak RSS in MiB so far, or a negative number if it cannot be read.
  double peak_rss_mib() const {
    if (pid_ <= 0)
      return -1;
    return vmhwm_mib(("/proc/" + std::to_string(pid_) + "/status").c_str());
  }

  /// Kills and reaps the server (idempotent).
  void kill() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

private:
  std::string read_endpoint(int fd, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    char c = 0;
    while (line.empty() || line.back() != '\n') {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return "the server printed no endpoint within " + std::to_string(timeout.count()) + " s";
      if (::read(fd, &c, 1) != 1)
        return "the server exited before printing its endpoint";
      line += c;
    }
    line.pop_back();
    const std::string prefix = "listening ";
    if (line.rfind(prefix, 0) != 0)
      return "unexpected first line from the server: " + line;
    endpoint_ = line.substr(prefix.size());
    return "";
  }

  pid_t pid_ = -1;
  std::string endpoint_;
};

/// A fresh private directory for a Unix socket path, created on first use and removed with
/// everything in it at the end (also when the run gives up: see `give_up_after_timeout`).
class temp_dir {
public:
  temp_dir() = default;
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    if (path_.empty())
      return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    detail::give_up_socket().clear();
    detail::give_up_dir().clear();
  }

  /// The path `name` inside the directory (created now if need be), or "" if it cannot be.
  std::string file(const std::string& name) {
    if (path_.empty()) {
      auto pattern = (std::filesystem::temp_directory_path() / "troupe-bench-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr)
        return "";
      path_ = pattern;
    }
    auto file = path_ + "/" + name;
    detail::give_up_socket() = file;
    detail::give_up_dir() = path_;
    return file;
  }

private:
  std::string path_;
};

/// Starts the server of a `--role=pair` run as a child (same case, transport and sizes, plus
/// `rest`, the options the program hands to its engine) and points `opts` at it as a client.
/// A Unix socket goes into `dir`. Returns "" on success, else what went wrong.
inline std::string start_server(const std::vector<std::string>& rest, options& opts,
                                peer_process& peer, temp_dir& dir) {
  std::vector<std::string> args{"--role=server",
                                "--case=" + opts.case_name,
                                "--transport=" + opts.transport,
                                "--n=" + std::to_string(opts.n),
                                "--sender=" + opts.sender,
                                "--timeout=" + std::to_string(opts.timeout)};
  if (opts.transport == "unix") {
    auto path = dir.file("peer.sock");
    if (path.empty())
      return "cannot create a directory for the Unix socket";
    args.push_back("--listen=unix:" + path);
  }
  args.insert(args.end(), rest.begin(), rest.end());
  if (auto err = peer.start(args, std::chrono::seconds{30}); !err.empty())
    return err;
  opts.role = "client";
  opts.peer = peer.endpoint();
  return "";
}

/// The main() of an actor-based network benchmark: parses the options, answers `--help` (with
/// `about`, then the engine's own options), refuses a Unix transport with `tcp_only` if that is
/// not empty, and for a pair run starts the server child before `run(opts, rest, peer)` starts
/// any thread (`peer` is null unless this process is the pair's client).
template <class Run>
int actor_bench_main(int argc, char** argv, std::string_view about, std::string_view tcp_only,
                     Run run) {
  options opts;
  std::vector<std::string> rest;
  auto err = parse(argc, argv, opts, rest);
  if (err.empty() && !tcp_only.empty() && opts.transport != "tcp")
    err = tcp_only;
  if (!err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 64;
  }
  if (opts.help) {
    std::cout << about << "\n" << options_help << "The engine's own options follow.\n";
    rest.emplace_back("--help");
  }
  if (opts.role != "pair" || opts.help)
    return run(opts, rest, nullptr);
  peer_process peer;
  temp_dir dir;
  if (auto failed = start_server(rest, opts, peer, dir); !failed.empty()) {
    std::cerr << "error: " << failed << "\n";
    return 1;
  }
  return run(opts, rest, &peer);
}

} // namespace bench::net
