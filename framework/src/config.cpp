#include "troupe/config.hpp"

#include <cstring>
#include <iostream>
#include <sstream>
#include <thread>

#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/message.hpp>
#include <caf/pec.hpp>

#include "troupe/error.hpp"

namespace troupe {

namespace {

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const char* flag : {"-h", "-?", "--help", "--long-help"})
      if (std::strcmp(argv[i], flag) == 0)
        return true;
  return false;
}

/// The offending argument of a CAF parser error, or the whole error as text.
std::string describe(const caf::error& err) {
  if (err.category() != caf::atom("parser"))
    return to_string(err);
  auto what = to_string(static_cast<caf::pec>(err.code()));
  const auto& ctx = err.context();
  if (ctx.match_elements<caf::config_value::dictionary>()) {
    const auto& dict = ctx.get_as<caf::config_value::dictionary>(0);
    if (auto i = dict.find("argument");
        i != dict.end() && caf::holds_alternative<std::string>(i->second))
      return "'" + caf::get<std::string>(i->second) + "' (" + what + ")";
  }
  return what;
}

/// Renders troupe's errors as "troupe::unknown_name (who)".
std::string render_troupe_error(uint8_t code, caf::atom_value, const caf::message& ctx) {
  return troupe::render_error("troupe::" + to_string(static_cast<error_code>(code)), ctx);
}

} // namespace

config::config() {
  // CAF starts max(cores, 4) workers; more workers than cores only add wake-ups and steals.
  set("scheduler.policy", caf::atom("stealing"));
  set("scheduler.max-threads", default_workers());
  set("scheduler.max-throughput", default_max_throughput);
  set("work-stealing.moderate-poll-attempts", default_moderate_poll_attempts);
  caf::config_option_adder{custom_options_, "troupe"}.add(
    request_timeout, "request-timeout", "default timeout of a coroutine's request");
  add_error_category(troupe_error_category, render_troupe_error);
}

size_t config::default_workers() {
  auto cores = static_cast<size_t>(std::thread::hardware_concurrency());
  return cores > 1 ? cores - 1 : 1;
}

void config::add_extension(extension_factory make) {
  extensions_.push_back(std::move(make));
}

std::optional<int> config::parse_command_line(int argc, char** argv, std::string_view about) {
  // CAF prints its option list to std::cout while parsing: catch it to put `about` first.
  std::ostringstream caf_help;
  auto* old = std::cout.rdbuf(caf_help.rdbuf());
  auto err = parse(argc, argv);
  std::cout.rdbuf(old);
  std::string_view program = argc > 0 ? argv[0] : "program";
  if (auto slash = program.rfind('/'); slash != std::string_view::npos)
    program.remove_prefix(slash + 1);
  if (cli_helptext_printed) {
    if (asks_for_help(argc, argv))
      std::cout << about;
    std::cout << caf_help.str();
    return 0;
  }
  if (err) {
    std::cerr << program << ": invalid argument " << describe(err) << "; see --help\n";
    return 2;
  }
  if (!remainder.empty()) {
    std::cerr << program << ": unexpected argument '" << remainder.front() << "'; see --help\n";
    return 2;
  }
  return std::nullopt;
}

} // namespace troupe
