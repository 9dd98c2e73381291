#pragma once

/// The pattern actors' Protobuf protocols on a node (library `troupe::actors_net`).

#include <caf/error.hpp>

namespace troupe::net {
class type_registry;
} // namespace troupe::net

namespace troupe::actors {

/// Adds the Protobuf types of every pattern actor's protocol (proto/troupe/actors/*.proto,
/// package troupe.actors) to `types`, so that a node built with them delivers remote clients'
/// requests to the pattern actors and sends their replies back:
/// `troupe::net::type_registry types; troupe::actors::register_protocols(types);
/// troupe::net::enable(cfg, std::move(types));`. Needed on the actors' node and on every C++
/// client's node. Errors: as `type_registry::add_file` (a type URL taken by another type).
caf::error register_protocols(troupe::net::type_registry& types);

} // namespace troupe::actors
