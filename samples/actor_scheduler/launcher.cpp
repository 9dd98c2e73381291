#include "launcher.hpp"

#include <algorithm>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace actor_scheduler {

namespace {

constexpr const char* program = "actor_scheduler";

/// One child process and what it printed so far.
struct child {
  std::string role;
  pid_t pid = -1;
  /// Read end of the child's stdout (non-blocking), -1 once closed.
  int out = -1;
  /// Bytes after the last complete line.
  std::string partial;
  /// Complete lines not handled yet.
  std::vector<std::string> lines;
  bool exited = false;
  int status = 0;
  std::string endpoint;
  std::optional<int64_t> count;
};

/// Why a run failed (caught by `launch_processes`, which then kills the children).
struct launch_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return std::string{"was killed by signal "} + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

/// The children of one run. The destructor kills and reaps whoever is still running, so every
/// way out of `launch_processes` (an error, the timeout, an exception) leaves none behind.
class launcher {
public:
  explicit launcher(const launch_plan& plan)
      : plan_(plan), deadline_(std::chrono::steady_clock::now() + plan.timeout) {
    sigset_t watched;
    sigemptyset(&watched);
    for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP})
      sigaddset(&watched, sig);
    // Blocked here and read from a signalfd; the children get the old mask back before exec.
    sigprocmask(SIG_BLOCK, &watched, &old_mask_);
    signals_ = signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals_ < 0)
      throw launch_error{std::string{"signalfd: "} + std::strerror(errno)};
    char exe[4096];
    auto len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
      throw launch_error{std::string{"cannot find this program: "} + std::strerror(errno)};
    exe_.assign(exe, static_cast<size_t>(len));
  }

  ~launcher() {
    kill_all();
    if (signals_ >= 0)
      close(signals_);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }

  launcher(const launcher&) = delete;
  launcher& operator=(const launcher&) = delete;

  int run() {
    // The receivers first: counter sends to them as soon as it starts.
    start("say_hello", {});
    start("say_hi", {});
    pump([this] { return !children_[0].endpoint.empty() && !children_[1].endpoint.empty(); });
    start("counter", {"--say-hello=" + children_[0].endpoint, "--say-hi=" + children_[1].endpoint});
    pump([this] {
      for (auto& c : children_)
        if (!c.exited || c.out >= 0)
          return false;
      return true;
    });
    auto count_of = [this](size_t i) {
      if (!children_[i].count)
        throw launch_error{children_[i].role + " ended without reporting its count"};
      return std::to_string(*children_[i].count);
    };
    std::cout << "summary: say_hello=" << count_of(0) << " say_hi=" << count_of(1)
              << " counter=" << count_of(2) << std::endl;
    return 0;
  }

private:
  /// Forks and execs this program as `role`; its stdout comes to this process.
  void start(const std::string& role, const std::vector<std::string>& peers) {
    std::vector<std::string> args{exe_, "--role=" + role, "--listen=127.0.0.1:0"};
    args.insert(args.end(), plan_.common_args.begin(), plan_.common_args.end());
    args.insert(args.end(), peers.begin(), peers.end());
    if (role == plan_.die_role)
      args.push_back(plan_.die_arg);
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw launch_error{std::string{"pipe: "} + std::strerror(errno)};
    int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    auto parent = getpid();
    auto pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls until exec: this process may have threads' locks held.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(127); // the launcher died before prctl took effect
      dup2(fds[1], STDOUT_FILENO);
      if (null_in >= 0)
        dup2(null_in, STDIN_FILENO);
      sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
      execv(exe_.c_str(), argv.data());
      _exit(127);
    }
    auto fork_errno = errno;
    close(fds[1]);
    if (null_in >= 0)
      close(null_in);
    if (pid < 0) {
      close(fds[0]);
      throw launch_error{std::string{"fork: "} + std::strerror(fork_errno)};
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    child started;
    started.role = role;
    started.pid = pid;
    started.out = fds[0];
    children_.push_back(std::move(started));
  }

  /// Serves the children's output and the signals until `done()`; throws on a failed child,
  /// a signal or the deadline.
  template <class Done> void pump(Done done) {
    while (!done()) {
      std::vector<pollfd> fds{{signals_, POLLIN, 0}};
      for (auto& c : children_)
        if (c.out >= 0)
          fds.push_back({c.out, POLLIN, 0});
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw launch_error{"timed out after " + std::to_string(plan_.timeout.count()) +
                           " s (--timeout)"};
      if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR)
        throw launch_error{std::string{"poll: "} + std::strerror(errno)};
      read_signals();
      // Read the greeters first and counter last, then print counter's lines first: a greeting
      // read now was caused by a counter line written before it, so that line is read in this
      // round at the latest and printed before the greeting.
      for (size_t i = children_.size(); i-- > 0;)
        read_output(children_[(i + 2) % children_.size()]);
      for (size_t i = children_.size(); i-- > 0;)
        handle_lines(children_[i]);
      std::cout.flush();
    }
  }

  void read_signals() {
    signalfd_siginfo info;
    while (read(signals_, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo != SIGCHLD)
        throw launch_error{std::string{"stopped by "} +
                           strsignal(static_cast<int>(info.ssi_signo))};
    }
    auto* failed = reap_failed();
    if (failed && !WIFSIGNALED(failed->status)) {
      // A child killed by a signal makes the others fail in turn (they lose their peer), and
      // it is the one to name; its socket closes before it can be reaped, so give it a moment
      // to become so (a SIGCHLD, bounded) before blaming the one that merely failed after it.
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{500};
      for (auto left = until - std::chrono::steady_clock::now(); left.count() > 0;
           left = until - std::chrono::steady_clock::now()) {
        pollfd fd{signals_, POLLIN, 0};
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
        bool interrupted = false; // a SIGINT or SIGTERM ends the wait: report what failed now
        if (poll(&fd, 1, static_cast<int>(ms)) > 0) {
          signalfd_siginfo info;
          while (read(signals_, &info, sizeof(info)) == sizeof(info))
            interrupted = interrupted || info.ssi_signo != SIGCHLD;
        }
        if (auto* other = reap_failed(); other && WIFSIGNALED(other->status)) {
          failed = other;
          break;
        }
        if (interrupted ||
            std::all_of(children_.begin(), children_.end(), [](auto& c) { return c.exited; }))
          break;
      }
    }
    if (failed)
      throw launch_error{failed->role + " (pid " + std::to_string(failed->pid) + ") " +
                         describe_status(failed->status)};
  }

  /// Reaps every child that ended; returns one that failed (one killed by a signal if any).
  const child* reap_failed() {
    for (auto& c : children_)
      if (!c.exited && waitpid(c.pid, &c.status, WNOHANG) == c.pid)
        c.exited = true;
    const child* failed = nullptr;
    for (auto& c : children_) {
      if (!c.exited || (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0))
        continue;
      if (!failed || (WIFSIGNALED(c.status) && !WIFSIGNALED(failed->status)))
        failed = &c;
    }
    return failed;
  }

  static void read_output(child& c) {
    char buf[65536];
    while (c.out >= 0) {
      auto got = read(c.out, buf, sizeof(buf));
      if (got > 0) {
        c.partial.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      close(c.out); // end of file (the child exited) or an error
      c.out = -1;
    }
    size_t begin = 0;
    for (auto end = c.partial.find('\n'); end != std::string::npos;
         end = c.partial.find('\n', begin)) {
      c.lines.push_back(c.partial.substr(begin, end - begin));
      begin = end + 1;
    }
    c.partial.erase(0, begin);
  }

  /// The first line is the endpoint, "report: ROLE=N" the count; the rest goes to stdout.
  static void handle_lines(child& c) {
    const std::string listening = "listening on ";
    const std::string report = "report: " + c.role + "=";
    for (auto& line : c.lines) {
      if (c.endpoint.empty()) {
        if (!line.starts_with(listening) || line.size() == listening.size())
          throw launch_error{c.role + " printed '" + line + "' instead of its endpoint"};
        c.endpoint = line.substr(listening.size());
        std::cerr << program << ": started " << c.role << " (pid " << c.pid << ") on " << c.endpoint
                  << "\n";
      } else if (line.starts_with(report)) {
        int64_t count = 0;
        auto digits = std::string_view{line}.substr(report.size());
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
        if (ec != std::errc{} || end != digits.data() + digits.size())
          throw launch_error{c.role + " reported '" + line + "'"};
        c.count = count;
      } else {
        std::cout << line << '\n';
      }
    }
    c.lines.clear();
  }

  void kill_all() noexcept {
    for (auto& c : children_) {
      if (!c.exited) {
        kill(c.pid, SIGKILL);
        while (waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
        }
        c.exited = true;
      }
      if (c.out >= 0) {
        close(c.out);
        c.out = -1;
      }
    }
  }

  const launch_plan& plan_;
  std::chrono::steady_clock::time_point deadline_;
  sigset_t old_mask_;
  int signals_ = -1;
  std::string exe_;
  /// say_hello, say_hi, counter (in that order).
  std::vector<child> children_;
};

} // namespace

int launch_processes(const launch_plan& plan) {
  try {
    launcher run{plan};
    return run.run();
  } catch (const std::exception& e) {
    // `run` is gone: every child was killed and reaped before this line.
    std::cout.flush();
    std::cerr << (std::string{program} + ": " + e.what() + "; stopped every process\n");
    return 1;
  }
}

} // namespace actor_scheduler
