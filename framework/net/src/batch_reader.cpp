#include "batch_reader.hpp"

#include "utf8.hpp"
#include "wire_encoding.hpp"
#include "wire_fields.hpp"

namespace troupe::net::detail {

namespace we = wire_encoding;
namespace wf = wire_fields;

namespace {

constexpr uint64_t varint = 0;
constexpr uint64_t length_delimited = 2;

/// Walks the fields of one encoded message: `next` reads a key and, for a length-delimited
/// field, the bounds of its bytes. Any cut or oversized value makes it fail.
class field_cursor {
public:
  field_cursor(const char* p, const char* end) : p_(p), end_(end) {}

  /// Reads the next field; false at the end or on bad input (then `bad()` tells which).
  bool next() {
    if (p_ == end_)
      return false;
    uint64_t key = 0;
    p_ = we::get_varint(p_, end_, key);
    if (p_ == nullptr || (key >> 3) == 0 || (key >> 3) > 0xffffffffu)
      return fail();
    field_ = static_cast<uint32_t>(key >> 3);
    type_ = key & 7;
    if (type_ == varint) {
      p_ = we::get_varint(p_, end_, value_);
      return p_ != nullptr || fail();
    }
    if (type_ != length_delimited)
      return fail(); // fixed32/64 and groups: none in the schema
    uint64_t n = 0;
    p_ = we::get_varint(p_, end_, n);
    if (p_ == nullptr || n > static_cast<uint64_t>(end_ - p_))
      return fail();
    bytes_ = std::string_view{p_, static_cast<std::size_t>(n)};
    p_ += n;
    return true;
  }

  bool bad() const noexcept { return bad_; }
  uint32_t field() const noexcept { return field_; }
  bool is_varint() const noexcept { return type_ == varint; }
  bool is_bytes() const noexcept { return type_ == length_delimited; }
  uint64_t value() const noexcept { return value_; }
  std::string_view bytes() const noexcept { return bytes_; }

private:
  bool fail() {
    bad_ = true;
    p_ = end_;
    return false;
  }

  const char* p_;
  const char* end_;
  uint32_t field_ = 0;
  uint64_t type_ = 0;
  uint64_t value_ = 0;
  std::string_view bytes_;
  bool bad_ = false;
};

/// A string field's bytes if they are valid UTF-8 (Protobuf 3 refuses the frame otherwise).
bool text(const field_cursor& c, std::string_view& out) {
  if (!c.is_bytes() || !is_valid_utf8(c.bytes()))
    return false;
  out = c.bytes();
  return true;
}

std::string_view view_of(const std::string& s) {
  return s;
}

} // namespace

void batch_reader::clear() noexcept {
  type_urls_.clear();
  target_names_.clear();
  sender_ids_.clear();
  messages_.clear();
  payloads_.clear();
}

bool batch_reader::read(std::span<const char> body) {
  clear();
  const char* p = body.data();
  const char* end = p + body.size();
  uint64_t n = 0;
  if (p == end || *p != we::tag(wf::frame_batch, we::wire_type::length_delimited))
    return false;
  p = we::get_varint(p + 1, end, n);
  if (p == nullptr || n != static_cast<uint64_t>(end - p) || !read_batch(p, end)) {
    clear();
    return false;
  }
  return true;
}

bool batch_reader::read_batch(const char* p, const char* end) {
  field_cursor c{p, end};
  while (c.next()) {
    switch (c.field()) {
    case wf::batch_type_urls:
      if (!text(c, type_urls_.emplace_back()))
        return false;
      break;
    case wf::batch_target_names:
      if (!text(c, target_names_.emplace_back()))
        return false;
      break;
    case wf::batch_sender_ids:
      if (c.is_varint()) {
        sender_ids_.push_back(c.value());
      } else { // packed, as proto3 writes repeated scalars by default
        const char* q = c.bytes().data();
        const char* q_end = q + c.bytes().size();
        while (q != q_end) {
          uint64_t id = 0;
          if ((q = we::get_varint(q, q_end, id)) == nullptr)
            return false;
          sender_ids_.push_back(id);
        }
      }
      break;
    case wf::batch_messages:
      if (!c.is_bytes() || !read_message(c.bytes().data(), c.bytes().data() + c.bytes().size()))
        return false;
      break;
    default:
      return false;
    }
  }
  return !c.bad();
}

bool batch_reader::read_message(const char* p, const char* end) {
  message m;
  m.payload_begin = static_cast<uint32_t>(payloads_.size());
  field_cursor c{p, end};
  while (c.next()) {
    auto field = c.field();
    if (field <= wf::message_reply_to) {
      if (!c.is_varint())
        return false;
      auto v = c.value();
      switch (field) {
      case wf::message_target_name:
        m.target_name = static_cast<uint32_t>(v); // Protobuf keeps a uint32's low 32 bits
        break;
      case wf::message_target_id:
        m.target_id = v;
        break;
      case wf::message_sender:
        m.sender = static_cast<uint32_t>(v);
        break;
      case wf::message_request_id:
        m.request_id = v;
        break;
      default:
        m.reply_to = v;
        break;
      }
    } else if (field == wf::message_payload && c.is_bytes()) {
      if (!read_payload(c.bytes().data(), c.bytes().data() + c.bytes().size()))
        return false;
    } else if (field == wf::message_error && c.is_bytes() && !m.has_error) {
      // (A second one would be merged into the first: left to Protobuf.)
      if (!read_error(c.bytes().data(), c.bytes().data() + c.bytes().size(), m.error))
        return false;
      m.has_error = true;
    } else {
      return false;
    }
  }
  m.payload_end = static_cast<uint32_t>(payloads_.size());
  messages_.push_back(m);
  return !c.bad();
}

bool batch_reader::read_payload(const char* p, const char* end) {
  payload x;
  field_cursor c{p, end};
  while (c.next()) {
    if (c.field() == wf::payload_type && c.is_varint())
      x.type = static_cast<uint32_t>(c.value());
    else if (c.field() == wf::payload_value && c.is_bytes())
      x.value = c.bytes(); // bytes: anything goes; a repeated one replaces the first
    else
      return false;
  }
  payloads_.push_back(x);
  return !c.bad();
}

bool batch_reader::read_error(const char* p, const char* end, error_view& out) {
  field_cursor c{p, end};
  while (c.next()) {
    if (c.field() == wf::error_value_code && c.is_varint())
      out.code = static_cast<uint32_t>(c.value());
    else if (c.field() == wf::error_value_category) {
      if (!text(c, out.category))
        return false;
    } else if (c.field() == wf::error_value_text) {
      if (!text(c, out.text))
        return false;
    } else {
      return false;
    }
  }
  return !c.bad();
}

void batch_reader::assign(const wire::Batch& b) {
  clear();
  for (const auto& url : b.type_urls())
    type_urls_.push_back(view_of(url));
  for (const auto& name : b.target_names())
    target_names_.push_back(view_of(name));
  sender_ids_.assign(b.sender_ids().begin(), b.sender_ids().end());
  for (const auto& m : b.messages()) {
    message x;
    x.target_name = m.target_name();
    x.target_id = m.target_id();
    x.sender = m.sender();
    x.request_id = m.request_id();
    x.reply_to = m.reply_to();
    x.payload_begin = static_cast<uint32_t>(payloads_.size());
    for (const auto& p : m.payload())
      payloads_.push_back({p.type(), view_of(p.value())});
    x.payload_end = static_cast<uint32_t>(payloads_.size());
    x.has_error = m.has_error();
    if (x.has_error)
      x.error = {m.error().code(), m.error().category(), m.error().text()};
    messages_.push_back(x);
  }
}

std::string batch_reader::why_malformed() const {
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    const auto& m = messages_[i];
    auto where = [i](const char* what) {
      return "message " + std::to_string(i) + " of the batch: " + what;
    };
    if (m.target_name > target_names_.size())
      return where("target_name is past the target_names table");
    if (m.sender > sender_ids_.size())
      return where("sender is past the sender_ids table");
    for (auto k = m.payload_begin; k < m.payload_end; ++k)
      if (payloads_[k].type >= type_urls_.size())
        return where("a payload's type is past the type_urls table");
    if (m.reply_to == 0 && m.target_name == 0 && m.target_id == 0)
      return where("it has neither a target nor reply_to");
    if (m.reply_to != 0 && m.request_id != 0)
      return where("it has both request_id and reply_to");
    if (m.has_error && (m.reply_to == 0 || m.payload_end != m.payload_begin))
      return where("an error is only allowed on a reply without payload");
  }
  return {};
}

message_view batch_reader::view(std::size_t i, std::vector<payload_view>& payload,
                                error_view& err) const {
  const auto& m = messages_[i];
  payload.clear();
  for (auto k = m.payload_begin; k < m.payload_end; ++k)
    payload.push_back({type_urls_[payloads_[k].type], payloads_[k].value});
  message_view v;
  if (m.target_name != 0)
    v.target.name = target_names_[m.target_name - 1];
  else
    v.target.id = m.target_id;
  v.sender_id = m.sender != 0 ? sender_ids_[m.sender - 1] : 0;
  v.request_id = m.request_id;
  v.reply_to = m.reply_to;
  v.payload = payload;
  if (m.has_error) {
    err = m.error;
    v.error = &err;
  }
  return v;
}

} // namespace troupe::net::detail
