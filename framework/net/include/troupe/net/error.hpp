#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe::net {

/// Errors of the network layer. They travel as `caf::error` values in the category
/// `net_error_category` and, with the same numbers, in the `code` field of the wire protocol's
/// `Error` frame (docs/wire-protocol.md). New codes are appended; numbers never change.
enum class error_code : uint8_t {
  /// The peer node was lost: its connection closed, or it fell silent beyond the bound.
  node_down = 1,
  /// The handshake failed for a reason other than the ones below.
  handshake_failed = 2,
  /// The peer speaks another protocol version.
  version_mismatch = 3,
  /// The peer did not prove knowledge of the shared secret, or one side has none.
  authentication_failed = 4,
  /// The peer sent a handshake nonce that was seen before.
  replayed_challenge = 5,
  /// A frame's length prefix, or a message to send, exceeds the frame limit.
  frame_too_large = 6,
  /// A frame's bytes do not parse as a `Frame`, or its contents contradict each other.
  malformed_frame = 7,
  /// A length prefix of 0.
  empty_frame = 8,
  /// A frame with no kind set, or a kind this version does not know.
  unknown_frame_kind = 9,
  /// A frame that is not allowed now, e.g. data before the handshake is done.
  unexpected_frame = 10,
  /// A payload's type URL is not registered on the receiving node.
  unknown_type = 11,
  /// A value of this type cannot be sent to another node.
  cannot_cross = 12,
  /// No actor with the target name or id lives on the receiving node.
  unknown_target = 13,
  /// A reply to a request id that was never issued (or already answered or timed out).
  unknown_request = 14,
  /// An endpoint is not "host:port" or "unix:/path".
  invalid_endpoint = 15,
  /// Connecting to the peer failed.
  connect_failed = 16,
  /// The peer did not complete the handshake in time.
  handshake_timeout = 17,
  /// The connection's send window is full: the peer does not read fast enough.
  overloaded = 18,
};

/// The CAF error category of `error_code` (exactly 10 characters, CAF's limit).
constexpr caf::atom_value net_error_category = caf::atom("troupe_net");

/// Returns the name of `x`, e.g. "node_down".
std::string to_string(error_code x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(error_code x);

/// Wraps `x` into a `caf::error` with a context message, e.g. the peer's address.
caf::error make_error(error_code x, std::string context);

} // namespace troupe::net
