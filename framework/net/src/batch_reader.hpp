#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "troupe/wire.pb.h"

namespace troupe::net::detail {

/// A received `Batch` as views: its tables, its messages and their payload elements, read
/// without copying (the hot path of receiving, the counterpart of `batch_encoder`).
///
/// `read` takes a frame body as C++ nodes and most Protobuf libraries write it, by hand: the
/// fields of the schema, each with its wire type, UTF-8 strings, canonical varints. Anything
/// else (an unknown field, a repeated message field, a varint over 64 bits, a cut, invalid
/// UTF-8, a frame that is not only a Batch) is left to Protobuf's parser (`read` returns false
/// and the caller parses the body as a `wire::Frame`, then `assign`s its batch), so a frame
/// means exactly what Protobuf makes of it either way. Reused from frame to frame: its buffers
/// keep their capacity. The views point into the body (or the parsed frame): valid while it is.
class batch_reader {
public:
  /// One message as read: indices and ids as on the wire, its payload elements at
  /// `[payload_begin, payload_end)` of `payloads()`.
  struct message {
    uint32_t target_name = 0;
    uint64_t target_id = 0;
    uint32_t sender = 0;
    uint64_t request_id = 0;
    uint64_t reply_to = 0;
    uint32_t payload_begin = 0;
    uint32_t payload_end = 0;
    bool has_error = false;
    error_view error;
  };

  /// One payload element: its index into the type URL table and its bytes.
  struct payload {
    uint32_t type = 0;
    std::string_view value;
  };

  /// Reads `body`, a whole frame body, if it is one Batch written the common way (see the class
  /// comment). False: nothing was read (the reader is empty), let Protobuf parse it.
  bool read(std::span<const char> body);

  /// Takes the views of a batch that Protobuf parsed.
  void assign(const wire::Batch& b);

  /// Why the batch contradicts itself (an index past its table, neither target nor reply_to,
  /// ...), or an empty string if it is sound.
  std::string why_malformed() const;

  /// The number of messages.
  std::size_t size() const noexcept { return messages_.size(); }

  /// Message `i` as the protocol reports it; `payload` and `err` receive what it points to.
  /// Only for a sound batch (`why_malformed` is empty).
  message_view view(std::size_t i, std::vector<payload_view>& payload, error_view& err) const;

  /// The tables and the messages as read (for tests).
  const std::vector<std::string_view>& type_urls() const noexcept { return type_urls_; }
  const std::vector<std::string_view>& target_names() const noexcept { return target_names_; }
  const std::vector<uint64_t>& sender_ids() const noexcept { return sender_ids_; }
  const std::vector<message>& messages() const noexcept { return messages_; }
  const std::vector<payload>& payloads() const noexcept { return payloads_; }

private:
  void clear() noexcept;
  bool read_batch(const char* p, const char* end);
  bool read_message(const char* p, const char* end);
  bool read_payload(const char* p, const char* end);
  static bool read_error(const char* p, const char* end, error_view& out);

  std::vector<std::string_view> type_urls_;
  std::vector<std::string_view> target_names_;
  std::vector<uint64_t> sender_ids_;
  std::vector<message> messages_;
  std::vector<payload> payloads_;
};

} // namespace troupe::net::detail
