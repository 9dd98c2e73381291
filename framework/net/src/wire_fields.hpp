#pragma once

#include <cstdint>

// Field numbers of proto/troupe/wire.proto that troupe encodes by hand. They must match the
// schema; tests/net_protocol_test.cpp parses hand-encoded frames with the generated classes.

namespace troupe::net::detail::wire_fields {

constexpr uint32_t frame_batch = 4;

constexpr uint32_t batch_type_urls = 1;
constexpr uint32_t batch_target_names = 2;
constexpr uint32_t batch_sender_ids = 3;
constexpr uint32_t batch_messages = 4;

constexpr uint32_t message_target_name = 1;
constexpr uint32_t message_target_id = 2;
constexpr uint32_t message_sender = 3;
constexpr uint32_t message_request_id = 4;
constexpr uint32_t message_reply_to = 5;
constexpr uint32_t message_payload = 6;
constexpr uint32_t message_error = 7;

constexpr uint32_t payload_type = 1;
constexpr uint32_t payload_value = 2;

constexpr uint32_t error_value_code = 1;
constexpr uint32_t error_value_category = 2;
constexpr uint32_t error_value_text = 3;

} // namespace troupe::net::detail::wire_fields
