#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::net::detail {

/// Which side of the handshake a proof belongs to; part of the HMAC input, so that a proof of
/// one side can never be passed off as the other's (reflection).
enum class proof_side { acceptor, connector };

/// What both proofs of one handshake are computed over (docs/wire-protocol.md, "Handshake").
struct handshake_transcript {
  /// The protocol version both sides agreed on.
  uint32_t version = 0;
  /// The connector's nonce (Hello.nonce).
  std::string_view connector_nonce;
  /// The acceptor's nonce (Challenge.nonce).
  std::string_view acceptor_nonce;
  /// Hello.incarnation.
  uint64_t connector_incarnation = 0;
  /// Challenge.incarnation.
  uint64_t acceptor_incarnation = 0;
};

/// Returns the 32-byte HMAC-SHA256 proof of `side` keyed with `secret` over
/// label(side) || version (4 bytes BE) || connector nonce || acceptor nonce ||
/// connector incarnation (8 bytes BE) || acceptor incarnation (8 bytes BE).
std::string handshake_proof(std::string_view secret, proof_side side,
                            const handshake_transcript& t);

/// Compares two proofs in constant time.
bool proofs_equal(std::string_view x, std::string_view y);

/// Returns `n` bytes from OpenSSL's RAND_bytes, or nothing if it fails.
std::optional<std::string> random_bytes(std::size_t n);

} // namespace troupe::net::detail
