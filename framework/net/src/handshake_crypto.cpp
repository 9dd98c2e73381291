#include "handshake_crypto.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace troupe::net::detail {

namespace {

constexpr std::string_view acceptor_label = "troupe-wire-v1 acceptor proof";
constexpr std::string_view connector_label = "troupe-wire-v1 connector proof";

void append_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

} // namespace

std::string handshake_proof(std::string_view secret, proof_side side,
                            const handshake_transcript& t) {
  std::string input{side == proof_side::acceptor ? acceptor_label : connector_label};
  append_be(input, t.version, 4);
  input.append(t.connector_nonce);
  input.append(t.acceptor_nonce);
  append_be(input, t.connector_incarnation, 8);
  append_be(input, t.acceptor_incarnation, 8);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), md.data(),
           &len) == nullptr)
    return {}; // an empty proof never matches: the handshake fails instead of crashing
  return std::string{reinterpret_cast<const char*>(md.data()), len};
}

bool proofs_equal(std::string_view x, std::string_view y) {
  return x.size() == y.size() && !x.empty() && CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

std::optional<std::string> random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return std::nullopt;
  return out;
}

} // namespace troupe::net::detail
