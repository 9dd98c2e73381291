#include "batch_encoder.hpp"

#include <algorithm>
#include <cstring>

#include "utf8.hpp"
#include "wire_encoding.hpp"
#include "wire_fields.hpp"

namespace troupe::net::detail {

namespace we = wire_encoding;
namespace wf = wire_fields;

namespace {

// A reused buffer keeps at most this much capacity after a frame; one huge message must not pin
// its memory for the life of the connection.
constexpr std::size_t keep_capacity = 1024 * 1024;

// Size of the frame body that carries a batch of `batch_bytes` (Frame.batch, field 4).
constexpr std::size_t frame_body_size(std::size_t batch_bytes) {
  return we::delimited_field_size(batch_bytes);
}

std::size_t error_value_size(const error_view& e) {
  return we::varint_field_size(e.code) + we::string_field_size(e.category) +
         we::string_field_size(e.text);
}

void clear_and_trim(std::vector<char>& buf) {
  buf.clear();
  if (buf.capacity() > keep_capacity)
    std::vector<char>{}.swap(buf);
}

} // namespace

batch_encoder::batch_encoder(std::size_t max_bytes, std::size_t max_messages)
    : max_bytes_(max_bytes), max_messages_(std::max<std::size_t>(max_messages, 1)) {}

std::size_t batch_encoder::plan(const message_view& msg) {
  std::size_t extra = 0;
  invalid_ = nullptr;
  type_slots_.clear();
  new_types_.clear();
  auto base = static_cast<uint32_t>(types_.size());
  for (const auto& p : msg.payload) {
    if (!last_type_.key.empty() && p.type_url == last_type_.key) { // skip the hashing
      type_slots_.push_back({last_type_.index, false});
      continue;
    }
    if (auto i = types_.find(p.type_url); i != types_.end()) {
      last_type_ = {i->first, i->second};
      type_slots_.push_back({i->second, false});
      continue;
    }
    auto k = std::find(new_types_.begin(), new_types_.end(), p.type_url);
    auto index = base + static_cast<uint32_t>(k - new_types_.begin());
    type_slots_.push_back({index, false});
    if (k == new_types_.end()) {
      if (!is_valid_utf8(p.type_url))
        invalid_ = "a payload's type URL is not valid UTF-8";
      new_types_.push_back(p.type_url);
      extra += we::delimited_field_size(p.type_url.size());
    }
  }
  name_slot_ = {};
  if (msg.reply_to == 0 && !msg.target.name.empty()) {
    if (msg.target.name == last_name_.key) {
      name_slot_ = {last_name_.index + 1, false};
    } else if (auto i = names_.find(msg.target.name); i != names_.end()) {
      last_name_ = {i->first, i->second};
      name_slot_ = {i->second + 1, false};
    } else {
      if (!is_valid_utf8(msg.target.name))
        invalid_ = "the target name is not valid UTF-8";
      name_slot_ = {static_cast<uint32_t>(names_.size()) + 1, true};
      extra += we::delimited_field_size(msg.target.name.size());
    }
  }
  sender_slot_ = {};
  if (msg.sender_id != 0) {
    if (msg.sender_id == last_sender_.id) { // a stream: skip the hashing
      sender_slot_ = {last_sender_.index + 1, false};
    } else if (auto i = senders_.find(msg.sender_id); i != senders_.end()) {
      last_sender_ = {msg.sender_id, i->second};
      sender_slot_ = {i->second + 1, false};
    } else {
      sender_slot_ = {static_cast<uint32_t>(senders_.size()) + 1, true};
      extra += we::varint_field_size(msg.sender_id);
    }
  }
  return extra;
}

std::size_t batch_encoder::message_size(const message_view& msg) const {
  std::size_t size = we::varint_field_size(name_slot_.index) +
                     we::varint_field_size(sender_slot_.index) +
                     we::varint_field_size(msg.request_id) + we::varint_field_size(msg.reply_to);
  if (msg.reply_to == 0 && name_slot_.index == 0)
    size += we::varint_field_size(msg.target.id);
  for (std::size_t i = 0; i < msg.payload.size(); ++i) {
    auto element =
      we::varint_field_size(type_slots_[i].index) + we::string_field_size(msg.payload[i].value);
    size += we::delimited_field_size(element);
  }
  if (msg.error != nullptr)
    size += we::delimited_field_size(error_value_size(*msg.error));
  return size;
}

caf::error batch_encoder::add(const message_view& msg, uint32_t frame_limit,
                              std::vector<char>& sink) {
  auto extra = plan(msg);
  if (invalid_ != nullptr) // the peer would refuse the whole frame: refuse this message alone
    return make_error(error_code::cannot_cross, invalid_);
  auto size = message_size(msg);
  if (count_ > 0 && frame_body_size(tables_.size() + body_.size() + extra +
                                    we::delimited_field_size(size)) > frame_limit) {
    finish(sink);
    extra = plan(msg); // the tables are empty now: indices and sizes change
    size = message_size(msg);
  }
  auto alone = frame_body_size(extra + we::delimited_field_size(size));
  if (count_ == 0 && alone > frame_limit)
    return make_error(error_code::frame_too_large, "a message of " + std::to_string(alone) +
                                                     " bytes exceeds the frame limit of " +
                                                     std::to_string(frame_limit) +
                                                     " bytes; nothing was sent");
  commit(msg, size, extra);
  if (body_.size() >= max_bytes_ || count_ >= max_messages_)
    finish(sink);
  return {};
}

void batch_encoder::commit(const message_view& msg, std::size_t size, std::size_t extra) {
  auto old = tables_.size();
  if (extra > 0) // a stream's messages add nothing to the tables
    tables_.resize(old + extra);
  char* t = tables_.data() + old;
  for (auto type : new_types_) {
    t = we::put_string_element(t, wf::batch_type_urls, type);
    types_.emplace(std::string{type}, static_cast<uint32_t>(types_.size()));
  }
  if (name_slot_.is_new) {
    t = we::put_string_element(t, wf::batch_target_names, msg.target.name);
    names_.emplace(std::string{msg.target.name}, name_slot_.index - 1);
  }
  if (sender_slot_.is_new) {
    t = we::put_varint_field(t, wf::batch_sender_ids, msg.sender_id);
    senders_.emplace(msg.sender_id, sender_slot_.index - 1);
  }
  old = body_.size();
  body_.resize(old + we::delimited_field_size(size));
  char* p = we::put_delimited_header(body_.data() + old, wf::batch_messages, size);
  p = we::put_varint_field(p, wf::message_target_name, name_slot_.index);
  if (msg.reply_to == 0 && name_slot_.index == 0)
    p = we::put_varint_field(p, wf::message_target_id, msg.target.id);
  p = we::put_varint_field(p, wf::message_sender, sender_slot_.index);
  p = we::put_varint_field(p, wf::message_request_id, msg.request_id);
  p = we::put_varint_field(p, wf::message_reply_to, msg.reply_to);
  for (std::size_t i = 0; i < msg.payload.size(); ++i) {
    const auto& value = msg.payload[i].value;
    auto element = we::varint_field_size(type_slots_[i].index) + we::string_field_size(value);
    p = we::put_delimited_header(p, wf::message_payload, element);
    p = we::put_varint_field(p, wf::payload_type, type_slots_[i].index);
    p = we::put_string_field(p, wf::payload_value, value);
  }
  if (msg.error != nullptr) {
    const auto& e = *msg.error;
    p = we::put_delimited_header(p, wf::message_error, error_value_size(e));
    p = we::put_varint_field(p, wf::error_value_code, e.code);
    p = we::put_string_field(p, wf::error_value_category, e.category);
    p = we::put_string_field(p, wf::error_value_text, e.text);
  }
  ++count_;
}

void batch_encoder::finish(std::vector<char>& sink) {
  if (count_ == 0)
    return;
  auto batch = tables_.size() + body_.size();
  auto frame = frame_body_size(batch);
  auto old = sink.size();
  sink.resize(old + 4 + frame);
  char* p = we::put_length_prefix(sink.data() + old, static_cast<uint32_t>(frame));
  p = we::put_delimited_header(p, wf::frame_batch, batch);
  if (!tables_.empty())
    std::memcpy(p, tables_.data(), tables_.size());
  std::memcpy(p + tables_.size(), body_.data(), body_.size()); // count_ > 0: never empty
  reset();
}

void batch_encoder::reset() {
  count_ = 0;
  clear_and_trim(tables_);
  clear_and_trim(body_);
  last_type_ = {};
  last_name_ = {};
  last_sender_ = {};
  types_.clear();
  names_.clear();
  senders_.clear();
}

} // namespace troupe::net::detail
