#include "troupe/config.hpp"

#include <thread>

#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/message.hpp>

#include "troupe/error.hpp"

namespace troupe {

config::config() {
  // CAF starts max(cores, 4) workers; more workers than cores only add wake-ups and steals.
  auto cores = std::max(std::thread::hardware_concurrency(), 1u);
  set("scheduler.policy", caf::atom("stealing"));
  set("scheduler.max-threads", static_cast<size_t>(cores));
  set("scheduler.max-throughput", default_max_throughput);
  caf::config_option_adder{custom_options_, "troupe"}.add(
    request_timeout, "request-timeout", "default timeout of a coroutine's request");
  add_error_category(troupe_error_category,
                     [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                       auto result = "troupe::" + to_string(static_cast<error_code>(code));
                       if (ctx.match_elements<std::string>())
                         result += " (" + ctx.get_as<std::string>(0) + ")";
                       else if (!ctx.empty())
                         result += " " + to_string(ctx);
                       return result;
                     });
}

} // namespace troupe
