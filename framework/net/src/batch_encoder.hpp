#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "protocol.hpp"

namespace troupe::net::detail {

/// Builds `Batch` frames by hand in Protobuf's wire format (the hot path of sending): each
/// message is encoded once into a reused buffer, and its type URLs, target name and sender are
/// replaced by indices into per-frame tables that hold each distinct value once.
class batch_encoder {
public:
  /// A batch is closed once its messages take `max_bytes` or number `max_messages`.
  batch_encoder(std::size_t max_bytes, std::size_t max_messages);

  /// Adds `msg`. If it does not fit under `frame_limit` (the body size of a frame) next to the
  /// messages already in, the batch is first closed into `sink`; if the batch is full
  /// afterwards, it is closed too. Errors: `frame_too_large` when `msg` alone does not fit
  /// (nothing changes); `cannot_cross` when its target name or a type URL is not valid UTF-8.
  caf::error add(const message_view& msg, uint32_t frame_limit, std::vector<char>& sink);

  /// Appends the open batch as one frame (length prefix included) to `sink` and starts a new
  /// one. Does nothing when no message is in.
  void finish(std::vector<char>& sink);

  /// Number of messages in the open batch.
  std::size_t messages() const { return count_; }

  /// Bytes the open batch's messages and tables take so far (its frame adds a few more).
  std::size_t bytes() const { return tables_.size() + body_.size(); }

private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using string_table = std::unordered_map<std::string, uint32_t, string_hash, std::equal_to<>>;

  /// The table entry found last (a view of its key in the table, which is node-based).
  struct last_hit {
    std::string_view key;
    uint32_t index = 0;
  };

  /// A value's place in a table: found there, or to be appended as entry `index`.
  struct slot {
    uint32_t index = 0;
    bool is_new = false;
  };

  /// Finds the table slots of `msg`'s values; returns the bytes its new table entries take.
  /// Sets `invalid_` if a new entry is not valid UTF-8.
  std::size_t plan(const message_view& msg);
  std::size_t message_size(const message_view& msg) const;
  void commit(const message_view& msg, std::size_t msg_size, std::size_t table_bytes);
  void reset();

  std::size_t max_bytes_;
  std::size_t max_messages_;
  std::size_t count_ = 0;
  std::vector<char> tables_; // encoded Batch fields 1-3, in order of first use
  std::vector<char> body_;   // encoded Batch field 4, one per message
  string_table types_;
  string_table names_;
  last_hit last_type_;
  last_hit last_name_;
  /// The sender found last (id 0: none).
  struct {
    uint64_t id = 0;
    uint32_t index = 0;
  } last_sender_;
  std::unordered_map<uint64_t, uint32_t> senders_;
  // The plan of the message being added: table indices of its types, name and sender.
  std::vector<slot> type_slots_;
  std::vector<std::string_view> new_types_;
  slot name_slot_;
  slot sender_slot_;
  const char* invalid_ = nullptr;
};

} // namespace troupe::net::detail
