#include "node_broker.hpp"

#include <iostream>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/io/network/multiplexer.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/send.hpp>

#include "broker_messages.hpp"
#include "caf_socket.hpp"
#include "close_mailbox.hpp"
#include "connection.hpp"
#include "endpoint.hpp"
#include "troupe/net/error.hpp"
#include "troupe/system.hpp"

namespace troupe::net::detail {

namespace {

/// A connection closed with more than this still unwritten is cut hard instead of drained.
constexpr size_t graceful_close_limit = 64 * 1024;

/// Ends a connection at once, whatever CAF still wants to write on it: a TCP connection is
/// dissolved (connect to AF_UNSPEC also aborts a connect still in progress, which shutdown()
/// would not), a Unix one shut down both ways. CAF then sees an error and drops the socket.
void cut(int fd) {
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  ::connect(fd, &unspec, sizeof(unspec));
  ::shutdown(fd, SHUT_RDWR);
}

/// How long a stopping node waits for its last frames (Goodbyes) to be written.
constexpr auto stop_grace = std::chrono::milliseconds{200};

/// The broker's buffer of a link's frames keeps at most this much capacity between drains.
constexpr size_t frames_keep_capacity = 1024 * 1024;

/// Bytes asked for per read: many frames per read, one handler run per 64 KiB at most.
constexpr uint32_t read_size = 64 * 1024;

protocol_clock::time_point steady_now() {
  return protocol_clock::now();
}

/// How often the broker runs the connections' timers: a quarter of the heartbeat interval
/// (at least 20 ms), so a silent peer is noticed at most that late after the bound.
std::chrono::milliseconds tick_period(const node_settings& s) {
  return std::max(std::chrono::milliseconds{20}, s.protocol.heartbeat_interval / 4);
}

} // namespace

node_broker::node_broker(caf::actor_config& cfg, std::shared_ptr<node_state> state)
    : caf::io::broker(cfg), state_(std::move(state)) {}

node_broker::~node_broker() = default;

connection* node_broker::add_connection(caf::io::connection_handle hdl, peer_link_ptr link) {
  await_registration();
  auto fd = socket_of(hdl);
  set_no_delay(fd);
  configure_read(hdl, caf::io::receive_policy::at_most(read_size));
  ack_writes(hdl, true);
  auto role = link ? protocol::role::connector : protocol::role::acceptor;
  auto address = link ? link->endpoint() : describe_peer(fd);
  auto conn = std::make_unique<connection>(*this, hdl, role, link, std::move(address));
  conn->outbound = link != nullptr;
  conn->gate = caf::make_counted<inbox_gate>(caf::actor_cast<caf::actor>(this), hdl,
                                             state_->settings.inbox_high_watermark,
                                             state_->settings.inbox_low_watermark);
  state_->add_gate(conn->gate);
  auto* result = conn.get();
  connections_.emplace(hdl, std::move(conn));
  state_->open_connections = connections_.size();
  if (link)
    by_link_.emplace(link.get(), hdl);
  result->proto.start(steady_now());
  write_out(*result, true);
  return result;
}

void node_broker::write_out(connection& conn, bool keep) {
  auto& out = conn.proto.output();
  if (conn.retiring)
    out.clear(); // After its Goodbye nothing more goes out on it.
  // Every byte the broker hands to CAF passes here: the link's direct writer learns that the
  // connection is busy before CAF can write (later, on this thread, after the handler returns),
  // and the rest of a sender's partial write is put in front of `out`. Only the connection that
  // carries the link opens the writer on its socket; the one it was bound to unbinds it (and
  // gets the rest of a partial write) before the link moves on (`retire`), and while a switch
  // pauses the link no connection carries it, so no sender writes directly.
  if (conn.link) {
    bool carrier = target_of(conn.link.get()) == &conn;
    if (carrier || conn.direct_bound) {
      broker_write_state st;
      st.fd = socket_of(conn.hdl);
      st.open = carrier && keep && !stopped_ && !conn.close_reason &&
                conn.proto.current_state() == protocol::state::established;
      st.send_limit = conn.proto.send_limit();
      st.unwritten = conn.in_flight;
      conn.link->sync_direct(st, out);
      conn.direct_bound = st.open;
    }
  }
  if (!out.empty()) {
    conn.in_flight += out.size();
    auto& buf = wr_buf(conn.hdl);
    if (buf.empty())
      buf.swap(out);
    else
      buf.insert(buf.end(), out.begin(), out.end());
    out.clear();
    flush(conn.hdl);
  }
  if (!keep)
    close_connection(conn.hdl, conn.close_reason
                                 ? conn.close_reason
                                 : make_error(error_code::node_down, conn.peer_address));
}

void node_broker::drain(connection& conn) {
  auto& link = conn.link;
  // A closed protocol writes nothing more: what is queued stays in the link, whose senders
  // learn it when the connection's close fails the link (or it drains into another one).
  if (!link)
    return;
  if (conn.proto.current_state() == protocol::state::closed) {
    write_out(conn, true);
    return;
  }
  if (conn.in_flight + conn.proto.held_bytes() > state_->settings.window.high_watermark) {
    write_out(conn, true); // the rest of a partial direct write, if any, cannot wait
    return; // data_transferred_msg drains again once the peer read enough.
  }
  // The link's frames are encoded already (by their senders): they go after what the protocol
  // wrote before (replies of its own, control frames), in one write.
  // What goes out now is reported by a data_transferred_msg, which drains again.
  link->take_queue(frames_, conn.in_flight > 0 || !conn.proto.output().empty());
  conn.proto.write_frames(frames_);
  frames_.clear();
  if (frames_.capacity() > frames_keep_capacity)
    std::vector<char>{}.swap(frames_);
  conn.proto.flush();
  write_out(conn, true);
}

void node_broker::close_connection(caf::io::connection_handle hdl, const caf::error& reason) {
  auto i = connections_.find(hdl);
  if (i == connections_.end())
    return;
  auto conn = std::move(i->second);
  connections_.erase(i);
  state_->open_connections = connections_.size();
  state_->remove_gate(conn->gate.get());
  // The peer may still be reached through another connection to it (the link moves there).
  auto* other = conn->link ? other_connection(conn->link.get(), nullptr) : nullptr;
  // Before the socket is cut or closed: a sender's direct write in progress finishes first, and
  // none starts after (the descriptor may be reused once CAF closes it). The writer closes for
  // good if it may write here or the link ends; a connection that never bound it (one that lost
  // a simultaneous connect) leaves it to the connection that carries the link.
  if (conn->link && (conn->direct_bound || other == nullptr))
    conn->link->close_direct();
  // CAF closes gracefully: it keeps the socket until everything written was sent. A peer that
  // is lost or does not read would keep it forever (and hang the middleman's shutdown), so
  // such a connection is cut hard; a healthy one gets its last frames (Error, Goodbye).
  bool lost = reason && reason.category() == net_error_category &&
              static_cast<error_code>(reason.code()) == error_code::node_down;
  // The peer gave up one of two connections to this node (it said Goodbye and still reads): what
  // is written on it (answers to lookups made there) goes out before it closes.
  bool handed_over = other != nullptr && conn->peer_said_goodbye;
  if ((lost && !handed_over) || conn->in_flight > graceful_close_limit)
    cut(socket_of(hdl));
  close(hdl);
  if (!conn->link)
    return;
  if (other != nullptr) {
    // The peer is still reached through the other connection: the link lives on there, with
    // what this one had held back for the end of its handshake (never written) first.
    auto held = conn->proto.take_held();
    other->proto.write_frames(held);
    conn->hand_over_monitors(*other);
    if (auto t = by_link_.find(conn->link.get()); t == by_link_.end() || t->second == hdl) {
      by_link_[conn->link.get()] = other->hdl;
      drain(*other);
    } else if (!held.empty()) {
      write_out(*other, true);
    }
    return;
  }
  by_link_.erase(conn->link.get());
  auto was_up = conn->link->is_up();
  // A lost established link is a lost node; a handshake that failed keeps its own reason, and
  // a connection that closed before its handshake (refused, reset) is a failed connect.
  auto why = reason;
  if (was_up && !lost)
    why = make_error(error_code::node_down,
                     conn->peer_address + ": " + state_->sys.engine().render(reason));
  else if (!was_up && lost && conn->outbound)
    why = make_error(error_code::connect_failed,
                     conn->peer_address + ": closed before the handshake completed");
  // Backoff first: whoever learns of the failure and sends again must find the node down.
  state_->on_link_failed(conn->link, was_up, why);
  conn->link->fail(why);
}

connection* node_broker::other_connection(const peer_link* link, const connection* besides) {
  for (auto& [hdl, conn] : connections_)
    if (conn.get() != besides && conn->link.get() == link && !conn->retiring &&
        conn->proto.current_state() != protocol::state::closed)
      return conn.get();
  return nullptr;
}

connection* node_broker::target_of(const peer_link* link) {
  auto i = by_link_.find(const_cast<peer_link*>(link));
  return i != by_link_.end() ? connections_.at(i->second).get() : nullptr;
}

void node_broker::on_connection_up(connection& conn) {
  auto* other = other_connection(conn.link.get(), &conn);
  if (other == nullptr || conn.outbound || !other->outbound) {
    // The only connection to the peer (or one it decided on already): it carries the link
    // unless another one does.
    by_link_.try_emplace(conn.link.get(), conn.hdl);
    return;
  }
  // The peer connected here while this node's own connection to it was open or opening: both
  // nodes decide alike which one stays; the node whose connection loses stops using it.
  if (keeps_own_connection(state_->settings.protocol.incarnation, conn.proto.peer_incarnation()))
    return; // The peer retires its connection (`conn`) and then sends on `other`.
  retire(*other, conn);
}

void node_broker::retire(connection& loser, connection& winner) {
  auto* link = loser.link.get();
  if (loser.proto.current_state() != protocol::state::established) {
    // Nothing of the link was written on it yet: its held frames go first on the winner, and
    // the link moves over at once (close_connection sees the winner and drains into it).
    winner.proto.write_frames(loser.proto.take_held());
    loser.proto.send_goodbye("the peer's simultaneous connection is kept");
    write_out(loser, true);
    close_connection(loser.hdl, caf::error{});
    return;
  }
  // Messages went out on it already: the peer must read them before anything that follows on
  // the winner, so the link pauses until the peer closes this connection after the Goodbye
  // (or the silence bound passes), then resumes on the winner (close_connection). Until then
  // this side still reads it (answers to lookups sent on it, error frames).
  by_link_.erase(link);
  loser.proto.say_goodbye("the peer's simultaneous connection is kept");
  write_out(loser, true);
  loser.retiring = true;
  loser.retire_deadline = steady_now() + state_->settings.protocol.silence_bound;
}

void node_broker::tick() {
  std::vector<caf::io::connection_handle> dead;
  auto t = steady_now();
  for (auto& [hdl, conn] : connections_) {
    if (conn->retiring) {
      if (t >= conn->retire_deadline)
        dead.push_back(hdl);
      continue;
    }
    if (conn->halted)
      conn->proto.note_alive(t);
    if (conn->rearmed)
      trigger(hdl); // if a busy I/O turn lost the re-add, reading starts now (else a no-op)
    bool keep = conn->proto.tick(t);
    auto& out = conn->proto.output();
    if (!out.empty() || !keep) {
      if (!keep)
        dead.push_back(hdl);
      else
        write_out(*conn, true);
    }
  }
  for (auto hdl : dead)
    if (auto i = connections_.find(hdl); i != connections_.end())
      write_out(*i->second, false); // a retiring one resumes its link on the winner
  schedule_tick();
}

void node_broker::schedule_tick() {
  // Anonymous: a timer message whose sender is the broker itself would form a reference cycle
  // with the broker's mailbox if it arrived while the broker stops (a leak ASan reported).
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(this), tick_period(state_->settings),
                         tick_atom::value);
}

void node_broker::begin_stop() {
  stopped_ = true;
  for (auto& [hdl, conn] : connections_) {
    // What senders queued goes before the Goodbye: while the broker was writing they did not
    // wake it (CAF's write report would have drained their items), so it may be waiting still.
    if (conn->link && target_of(conn->link.get()) == conn.get())
      drain(*conn);
    conn->proto.send_goodbye("node shutting down");
    write_out(*conn, true);
  }
  // Give CAF a moment to write what is queued (at least the Goodbyes); a peer that does not
  // read is cut when the moment is over.
  if (connections_.empty())
    finish_stop();
  else
    caf::delayed_anon_send(caf::actor_cast<caf::actor>(this), stop_grace, finish_atom::value);
}

void node_broker::send_after_this_turn(caf::message msg) {
  // post() from the I/O thread runs the function in the loop's next turn, after the loop
  // applied this turn's registrations.
  backend().post([self = caf::actor_cast<caf::actor>(this), msg = std::move(msg)] {
    self->enqueue(nullptr, caf::make_message_id(), msg, nullptr);
  });
}

void node_broker::await_registration() {
  if (turn_pending_) {
    // The marker on its way may have been posted in an earlier turn than this socket's.
    added_after_marker_ = true;
    return;
  }
  turn_pending_ = true;
  send_after_this_turn(caf::make_message(turn_atom::value));
}

void node_broker::finish_stop_if_drained() {
  for (auto& [hdl, conn] : connections_)
    if (conn->in_flight != 0)
      return;
  finish_stop();
}

void node_broker::finish_stop() {
  if (finished_)
    return;
  if (turn_pending_) { // closing a listener registered in this turn would leak its handler
    finish_after_turn_ = true;
    return;
  }
  finished_ = true;
  std::vector<caf::io::connection_handle> all;
  for (auto& [hdl, conn] : connections_)
    all.push_back(hdl);
  auto why = make_error(error_code::node_down, "this node shut down");
  for (auto hdl : all)
    close_connection(hdl, why); // node_down: cut hard, nothing left for CAF to drain.
  close_all();
  quit();
}

void node_broker::on_exit() {
  stopped_ = true;
  for (auto& [hdl, conn] : connections_) // CAF closes the sockets after on_exit
    if (conn->link)
      conn->link->close_direct();
  by_link_.clear();
  connections_.clear();
  state_.reset();
  // CAF 0.17's abstract_broker::cleanup skips scheduled_actor::cleanup, so a stopped broker's
  // mailbox stays open and keeps whatever arrives until the broker is destroyed: close it here
  // (a late message, a link's wake-up, is dropped at once, a late request gets an error).
  close_mailbox(*this);
}

caf::behavior node_broker::make_behavior() {
  schedule_tick();
  return {
    [this](const caf::io::new_connection_msg& msg) {
      if (stopped_)
        close(msg.handle);
      else
        add_connection(msg.handle, nullptr);
    },
    [this](caf::io::new_data_msg& msg) {
      auto i = connections_.find(msg.handle);
      if (i == connections_.end() || stopped_)
        return;
      auto& conn = *i->second;
      conn.rearmed = false; // reading works again
      if (conn.link) // before delivering: a reply to what arrives may go out directly
        conn.link->peer_spoke();
      bool keep = conn.proto.consume(msg.buf, steady_now());
      conn.end_of_read();
      auto hdl = conn.hdl;
      if (keep && conn.link && !conn.close_reason) {
        if (std::exchange(conn.just_up, false))
          on_connection_up(conn);
        // Replies and Downs produced while reading go out in the same write.
        if (auto* target = target_of(conn.link.get()))
          drain(*target);
      }
      auto j = connections_.find(hdl);
      if (j == connections_.end())
        return;
      auto& after = *j->second;
      if (keep && !after.halted && after.gate->must_halt()) {
        // Local actors lag: stop reading; (resume_atom, hdl) reads again. Not `halt`: CAF goes
        // on reading in the same I/O event (up to 50 reads); one activity token stops it after
        // at most one more read.
        after.halted = true;
        trigger(hdl, 1);
      }
      write_out(after, keep && !after.close_reason);
    },
    [this](const caf::io::data_transferred_msg& msg) {
      auto i = connections_.find(msg.handle);
      if (i == connections_.end())
        return;
      auto& conn = *i->second;
      conn.in_flight -= std::min(conn.in_flight, msg.written);
      if (stopped_) {
        finish_stop_if_drained();
        return;
      }
      // The link leaves waking the broker to this message while the broker writes (see
      // take_queue): drain even if nothing is queued, so that the link learns it is idle.
      if (conn.link && conn.in_flight <= state_->settings.window.low_watermark &&
          target_of(conn.link.get()) == &conn)
        drain(conn);
      else if (conn.in_flight == 0)
        write_out(conn, true); // everything written: senders may write directly again
    },
    [this](const caf::io::connection_closed_msg& msg) {
      auto i = connections_.find(msg.handle);
      if (i == connections_.end())
        return;
      auto reason = i->second->close_reason;
      if (!reason)
        reason = make_error(error_code::node_down, i->second->peer_address + ": connection closed");
      close_connection(msg.handle, reason);
    },
    [](const caf::io::connection_passivated_msg&) {
      // A halted connection used its last activity token; resume_atom reads again.
    },
    [](const caf::io::acceptor_closed_msg&) {
      // Only at shutdown.
    },
    [this](wake_atom, const peer_link_ptr& link) {
      // While the window is full the wake stays pending: data_transferred_msg drains later.
      if (auto i = by_link_.find(link.get()); i != by_link_.end())
        drain(*connections_.at(i->second));
    },
    [this](connect_atom, const peer_link_ptr& link) {
      if (stopped_) {
        link->fail(make_error(error_code::node_down, "this node shut down"));
        return;
      }
      if (other_connection(link.get(), nullptr) != nullptr)
        return; // The peer connected here first and its connection carries the link already.
      auto where = parse_endpoint(link->endpoint());
      auto fd = where ? start_connect(*where) : caf::expected<int>{where.error()};
      if (!fd) {
        state_->on_link_failed(link, false, fd.error());
        link->fail(fd.error());
        return;
      }
      add_connection(add_scribe(*fd), link);
    },
    [this](listen_atom, int fd) {
      if (stopped_) {
        ::close(fd);
        return;
      }
      add_doorman(fd);
      await_registration();
    },
    [this](turn_atom) {
      if (std::exchange(added_after_marker_, false)) {
        // A socket added after the marker was posted: wait for a marker posted after it.
        send_after_this_turn(caf::make_message(turn_atom::value));
        return;
      }
      turn_pending_ = false;
      if (finish_after_turn_)
        finish_stop();
    },
    [this](resume_atom, caf::io::connection_handle hdl) {
      // On a later turn of the I/O loop: CAF 0.17 applies a stream's removal from the loop
      // (halting) at the end of a turn, and re-adding it before that is lost.
      if (auto i = connections_.find(hdl); i != connections_.end() && i->second->halted)
        send_after_this_turn(caf::make_message(reread_atom::value, hdl));
    },
    [this](reread_atom, caf::io::connection_handle hdl) {
      auto i = connections_.find(hdl);
      if (i == connections_.end() || !i->second->halted)
        return;
      i->second->halted = false;
      i->second->rearmed = true;
      trigger(hdl);
    },
    [this](tick_atom) {
      if (!stopped_)
        tick();
    },
    [this](stop_atom) { begin_stop(); },
    [this](finish_atom) { finish_stop(); },
  };
}

} // namespace troupe::net::detail
