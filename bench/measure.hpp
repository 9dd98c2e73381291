#pragma once

/// Measuring helpers that need no actor system: CPU time, peak memory and JSON strings. Every
/// benchmark program uses them, the raw-socket one included.

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace bench {

/// The CPU time (user + system, all threads) the process has used so far, in seconds.
inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

/// The peak resident set size (`VmHWM`) in MiB that the /proc status file `path` reports, or a
/// negative number if it cannot be read (the process is gone, or there is no /proc).
inline double vmhwm_mib(const char* path) {
  std::FILE* status = std::fopen(path, "r");
  if (status == nullptr)
    return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr)
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  std::fclose(status);
  return kib >= 0 ? static_cast<double>(kib) / 1024.0 : -1;
}

/// The process's peak resident set size in MiB: `VmHWM` of /proc/self/status, else `getrusage`.
///
/// `ru_maxrss` alone would mislead: Linux carries it across `execve`, so a program started by a
/// big parent (the Python runner) reports at least the parent's size.
inline double peak_rss_mib() {
  if (auto mib = vmhwm_mib("/proc/self/status"); mib >= 0)
    return mib;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// `text` as a JSON string literal (quotes and backslashes escaped, control characters blanked).
inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// Sets `res.error` unless `got == want`, and notes the value in `res.check` (any result type
/// with string members `error` and `check`).
template <class Result>
void expect_equal(Result& res, std::string_view what, int64_t got, int64_t want) {
  if (!res.check.empty())
    res.check += ", ";
  res.check += std::string{what} + "=" + std::to_string(got);
  if (got != want && res.error.empty())
    res.error =
      std::string{what} + " is " + std::to_string(got) + ", expected " + std::to_string(want);
}

/// Measures wall-clock and CPU time from its construction to `stop`.
class stopwatch {
public:
  stopwatch() : start_(std::chrono::steady_clock::now()), cpu_start_(bench::cpu_seconds()) {}

  /// Wall-clock seconds so far.
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  /// Records the wall-clock and CPU seconds so far in `res` (members `seconds`, `cpu_seconds`).
  template <class Result> void stop(Result& res) const {
    res.seconds = seconds();
    res.cpu_seconds = bench::cpu_seconds() - cpu_start_;
  }

private:
  std::chrono::steady_clock::time_point start_;
  double cpu_start_;
};

} // namespace bench
