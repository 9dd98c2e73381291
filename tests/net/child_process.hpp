#pragma once

// A child process for multi-process tests: started with pipes on stdin and stdout, read line by
// line with a time limit, and always killed (SIGKILL) and reaped when the guard goes away.

#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace troupe::test {

/// Owns a running child process; its destructor kills it with SIGKILL and waits for it.
class child_process {
public:
  /// Starts `argv[0]` (a path, not searched in PATH) with the arguments `argv`. Throws
  /// std::runtime_error if it cannot.
  explicit child_process(std::vector<std::string> argv) {
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    std::vector<char*> args;
    for (auto& arg : argv)
      args.push_back(arg.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
  }

  ~child_process() {
    kill(SIGKILL);
    reap();
    if (stdin_ >= 0)
      ::close(stdin_);
    if (stdout_ >= 0)
      ::close(stdout_);
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The next line the child printed (without '\n'), or nullopt if none came within `timeout`
  /// or the child closed its stdout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto eol = buffer_.find('\n'); eol != std::string::npos) {
        auto line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd pfd{stdout_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char chunk[512];
      auto n = ::read(stdout_, chunk, sizeof(chunk));
      if (n <= 0)
        return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  /// The rest of the first line starting with `prefix`, skipping other lines.
  std::optional<std::string> expect_line(std::string_view prefix,
                                         std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      auto line = read_line(left);
      if (!line)
        return std::nullopt;
      if (line->starts_with(prefix))
        return line->substr(prefix.size());
    }
  }

  /// Sends `sig` to the child (no-op once it was reaped).
  void kill(int sig) noexcept {
    if (pid_ > 0)
      ::kill(pid_, sig);
  }

  /// Writes `line` and a newline to the child's stdin; false if it cannot (closed, gone).
  bool write_line(const std::string& line) noexcept {
    if (stdin_ < 0)
      return false;
    auto text = line + '\n';
    std::string_view rest{text};
    while (!rest.empty()) {
      auto n = ::write(stdin_, rest.data(), rest.size());
      if (n <= 0)
        return false;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  /// Closes the child's stdin: the test node takes that as its cue to shut down.
  void close_stdin() noexcept {
    if (stdin_ >= 0)
      ::close(std::exchange(stdin_, -1));
  }

  /// Waits for the child to end and returns its wait status (-1 if already reaped).
  int reap() noexcept {
    if (pid_ <= 0)
      return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  /// The child's process id.
  pid_t pid() const noexcept { return pid_; }

private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

} // namespace troupe::test
