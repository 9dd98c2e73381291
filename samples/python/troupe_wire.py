"""A client of troupe's wire protocol, written from docs/wire-protocol.md.

It connects to a troupe node (TCP "host:port" or "unix:/path"), runs the handshake (with the
shared secret when one is given), and then acts as one actor of its own: it sends messages to
actors by name, makes requests and waits for their replies, monitors actors and waits for their
Down frames. Heartbeats are sent while it waits, so that the node does not take it for dead.

    with troupe_wire.connect("127.0.0.1:4000", secret=b"cookie") as conn:
        conn.send("counter", 5)
        total = conn.request("counter")           # -> [5]
        conn.monitor("worker")
        reason = conn.wait_down("worker", 10.0)   # None for a normal exit, else a RemoteError

It is not thread-safe: one connection, one thread.
"""

import select
import socket
import struct
import time

from google.protobuf.message import DecodeError

from troupe import wire_pb2

import troupe_payloads
from troupe_handshake import Handshake, HandshakeError
from troupe_payloads import RemoteError

PROTOCOL_VERSION = 1
DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024
HEARTBEAT_INTERVAL = 1.0
# troupe's error code unknown_name (category "troupe").
UNKNOWN_NAME = 3
# This client's own actor id, sent as the sender of its messages (replies come back by id).
CLIENT_ACTOR_ID = 1


class ProtocolError(Exception):
    """The connection broke the protocol or was closed by the peer; it is unusable now.

    `code` is a troupe_net error code (docs/wire-protocol.md), 0 if none applies.
    """

    def __init__(self, text, code=0):
        super().__init__(text)
        self.code = code


class Timeout(Exception):
    """Nothing arrived in time."""


# -- framing -------------------------------------------------------------------------------


def frame_bytes(frame):
    """Returns one frame on the wire: a 4-byte big-endian length, then the serialized Frame."""
    body = frame.SerializeToString()
    return struct.pack(">I", len(body)) + body


class FrameReader:
    """Cuts frames out of the byte stream, however it was split into reads."""

    def __init__(self, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
        self.max_frame_size = max_frame_size
        self._buf = bytearray()

    def feed(self, data):
        """Adds bytes read; returns the complete frames (wire_pb2.Frame) they finish."""
        self._buf += data
        frames = []
        while len(self._buf) >= 4:
            (size,) = struct.unpack_from(">I", self._buf)
            if size == 0:
                raise ProtocolError("empty frame (length prefix 0)", 8)
            if size > self.max_frame_size:
                raise ProtocolError(f"frame of {size} bytes exceeds the limit of "
                                    f"{self.max_frame_size}", 6)
            if len(self._buf) < 4 + size:
                break
            frame = wire_pb2.Frame()
            try:
                frame.ParseFromString(bytes(self._buf[4:4 + size]))
            except DecodeError as err:
                raise ProtocolError(f"frame does not parse: {err}", 7)
            del self._buf[:4 + size]
            frames.append(frame)
        return frames


# -- batches -------------------------------------------------------------------------------


class BatchBuilder:
    """Builds one Batch frame, de-duplicating type URLs, target names and senders into its
    tables (indices into type_urls; target names and senders as index + 1, 0 = none)."""

    def __init__(self):
        self.batch = wire_pb2.Batch()
        self._types = {}
        self._names = {}
        self._senders = {}

    @staticmethod
    def _index(table, field, key):
        if key not in table:
            table[key] = len(field)
            field.append(key)
        return table[key]

    def add(self, values, target_name="", target_id=0, sender_id=0, request_id=0, reply_to=0):
        """Adds one message whose elements are `values` (see troupe_payloads.encode)."""
        msg = self.batch.messages.add()
        if target_name:
            msg.target_name = self._index(self._names, self.batch.target_names, target_name) + 1
        msg.target_id = target_id
        if sender_id:
            msg.sender = self._index(self._senders, self.batch.sender_ids, sender_id) + 1
        msg.request_id = request_id
        msg.reply_to = reply_to
        for value in values:
            url, data = troupe_payloads.encode(value)
            payload = msg.payload.add()
            payload.type = self._index(self._types, self.batch.type_urls, url)
            payload.value = data
        return msg

    def frame(self):
        return wire_pb2.Frame(batch=self.batch)


class Received:
    """One message received from the peer, its payloads decoded (or the decoding error)."""

    def __init__(self, batch, msg):
        def table(field, index_plus_one):
            return field[index_plus_one - 1] if 0 < index_plus_one <= len(field) else None

        self.target_name = table(batch.target_names, msg.target_name)
        self.target_id = msg.target_id
        self.sender_id = table(batch.sender_ids, msg.sender)
        self.request_id = msg.request_id
        self.reply_to = msg.reply_to
        self.error = RemoteError.from_wire(msg.error) if msg.HasField("error") else None
        self.values = []
        self.decode_error = None
        try:
            for payload in msg.payload:
                if payload.type >= len(batch.type_urls):
                    raise ProtocolError(f"payload type index {payload.type} outside the "
                                        f"table of {len(batch.type_urls)} type URLs", 7)
                self.values.append(troupe_payloads.decode(batch.type_urls[payload.type],
                                                          payload.value))
        except (troupe_payloads.UnknownType, DecodeError) as err:
            self.decode_error = err


# -- the connection ------------------------------------------------------------------------


def _open_socket(endpoint, timeout):
    if endpoint.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(endpoint[len("unix:"):])
        return sock
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"endpoint {endpoint!r} is neither host:port nor unix:/path")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Connection:
    """One connection to a troupe node, after a successful handshake."""

    def __init__(self, sock, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
        self._sock = sock
        self._reader = FrameReader(max_frame_size)
        self._next_request = 1
        self._replies = {}  # request id -> Received, or RemoteError from an Error frame
        self._downs = {}  # name or actor id -> reason (None or RemoteError)
        self._inbox = []  # messages for this client that are not replies
        self._errors = []  # non-closing Error frames not tied to a request
        self._lookups = {}  # request id -> LookupResult
        self._last_sent = time.monotonic()
        self.closed = False
        self.peer_incarnation = 0
        self.peer_endpoint = ""
        self.peer_max_frame_size = DEFAULT_MAX_FRAME_SIZE

    # -- sending --

    def _write(self, frame):
        if self.closed:
            raise ProtocolError("the connection is closed")
        data = frame_bytes(frame)
        if len(data) - 4 > self.peer_max_frame_size:
            raise ProtocolError(f"a frame of {len(data) - 4} bytes exceeds the node's limit of "
                                f"{self.peer_max_frame_size}; nothing was sent", 6)
        self._sock.sendall(data)
        self._last_sent = time.monotonic()

    def send(self, name, *values):
        """Sends a one-way message to the actor registered as `name` on the node."""
        batch = BatchBuilder()
        batch.add(values, target_name=name, sender_id=CLIENT_ACTOR_ID)
        self._write(batch.frame())

    def request(self, name, *values, timeout=5.0):
        """Sends a request to `name` and returns the reply's values (a list, empty for the
        empty message). Raises RemoteError for an error reply or a failed delivery (e.g. an
        unknown name or type), Timeout if no reply came in time."""
        request_id = self._next_request
        self._next_request += 1
        batch = BatchBuilder()
        batch.add(values, target_name=name, sender_id=CLIENT_ACTOR_ID, request_id=request_id)
        self._write(batch.frame())
        self._wait(lambda: request_id in self._replies, timeout,
                   f"no reply from {name!r} within {timeout} s")
        reply = self._replies.pop(request_id)
        if isinstance(reply, RemoteError):
            raise reply
        if reply.error is not None:
            raise reply.error
        if reply.decode_error is not None:
            raise reply.decode_error
        return reply.values

    def lookup(self, name, timeout=5.0):
        """Returns the id of the actor registered as `name` on the node now; raises
        RemoteError (e.g. troupe's unknown_name) if there is none, Timeout.

        The node answers frames in order, so once the answer is here, an Error frame about a
        message sent before it has arrived too (see `errors`)."""
        request_id = self._next_request
        self._next_request += 1
        self._write(wire_pb2.Frame(lookup=wire_pb2.Lookup(name=name, request_id=request_id)))
        self._wait(lambda: request_id in self._lookups, timeout,
                   f"no answer to the lookup of {name!r} within {timeout} s")
        result = self._lookups.pop(request_id)
        if result.actor_id == 0:
            raise RemoteError.from_wire(result.error) or RemoteError("troupe", UNKNOWN_NAME, name)
        return result.actor_id

    def monitor(self, name):
        """Asks the node for a Down frame when the actor `name` exits (at once if it does not
        exist). Collect it with wait_down."""
        self._write(wire_pb2.Frame(monitor=wire_pb2.Monitor(name=name)))

    def demonitor(self, name):
        """Withdraws a monitor on `name`."""
        self._write(wire_pb2.Frame(demonitor=wire_pb2.Demonitor(name=name)))

    def wait_down(self, name, timeout=10.0):
        """Waits for the Down of a monitored actor; returns its exit reason: None for a
        normal exit, else a RemoteError (e.g. category "exit")."""
        self._wait(lambda: name in self._downs, timeout,
                   f"no Down for {name!r} within {timeout} s")
        return self._downs.pop(name)

    def receive(self, timeout=5.0):
        """Waits for a message sent to this client (not a reply); returns a Received."""
        self._wait(lambda: self._inbox, timeout, f"no message within {timeout} s")
        return self._inbox.pop(0)

    def close(self, reason="client done"):
        """Says Goodbye and closes the socket."""
        if not self.closed:
            try:
                self._write(wire_pb2.Frame(goodbye=wire_pb2.Goodbye(reason=reason)))
            except OSError:
                pass
            self.closed = True
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- receiving --

    def _wait(self, done, timeout, what):
        deadline = time.monotonic() + timeout
        while not done():
            now = time.monotonic()
            if now >= deadline:
                raise Timeout(what)
            if now - self._last_sent >= HEARTBEAT_INTERVAL:
                self._write(wire_pb2.Frame(heartbeat=wire_pb2.Heartbeat()))
            wake = min(deadline, self._last_sent + HEARTBEAT_INTERVAL)
            readable, _, _ = select.select([self._sock], [], [], max(0.0, wake - now))
            if readable:
                self._read_some()

    def _read_some(self):
        data = self._sock.recv(64 * 1024)
        if not data:
            self.closed = True
            raise ProtocolError("the node closed the connection")
        for frame in self._reader.feed(data):
            self._dispatch(frame)

    def _dispatch(self, frame):
        kind = frame.WhichOneof("kind")
        if kind == "batch":
            for msg in frame.batch.messages:
                received = Received(frame.batch, msg)
                if received.reply_to:
                    self._replies[received.reply_to] = received
                else:
                    self._inbox.append(received)
        elif kind == "down":
            key = frame.down.name or frame.down.actor_id
            self._downs[key] = RemoteError.from_wire(frame.down.reason)
        elif kind == "error":
            err = RemoteError("troupe_net", frame.error.code, frame.error.text)
            if frame.error.closing:
                self.closed = True
                raise ProtocolError(f"the node closed the connection: {err}", frame.error.code)
            if frame.error.request_id:
                self._replies[frame.error.request_id] = err
            else:
                self._errors.append(err)
        elif kind == "goodbye":
            self.closed = True
            raise ProtocolError(f"the node said goodbye: {frame.goodbye.reason}")
        elif kind == "heartbeat":
            pass  # liveness only
        elif kind == "lookup_result":
            self._lookups[frame.lookup_result.request_id] = frame.lookup_result
        elif kind == "lookup":
            self._write(wire_pb2.Frame(lookup_result=wire_pb2.LookupResult(
                request_id=frame.lookup.request_id,
                error=wire_pb2.ErrorValue(code=UNKNOWN_NAME, category="troupe",
                                          text="a Python client hosts no named actors"))))
        elif kind in ("monitor", "demonitor"):
            pass  # this client hosts no actors that could be monitored by name
        else:
            raise ProtocolError(f"unexpected frame kind {kind!r}", 9)

    @property
    def errors(self):
        """Error frames about one-way messages that failed (RemoteError, oldest first)."""
        return self._errors


def connect(endpoint, secret=None, timeout=5.0, max_frame_size=DEFAULT_MAX_FRAME_SIZE):
    """Connects to the node at `endpoint` and runs the handshake; returns a Connection.

    `secret` (bytes) must match the node's shared secret; None if the node has none.
    Raises HandshakeError when the node refuses, or fails a check (e.g. does not prove the
    secret: then the node is told why with a closing Error frame), OSError if it cannot
    connect."""
    sock = _open_socket(endpoint, timeout)
    try:
        conn = Connection(sock, max_frame_size)
        shake = Handshake(secret, max_frame_size)
        sock.sendall(frame_bytes(shake.hello()))
        frames = _read_frames(sock, conn._reader, time.monotonic() + timeout)
        try:
            welcome = shake.answer(frames[0])
        except HandshakeError as err:
            if not err.by_peer:
                sock.sendall(frame_bytes(err.error_frame()))
            raise
        sock.sendall(frame_bytes(welcome))
        sock.settimeout(None)
        conn.peer_incarnation = shake.peer_incarnation
        conn.peer_endpoint = shake.peer_endpoint
        conn.peer_max_frame_size = shake.peer_max_frame_size
        conn._last_sent = time.monotonic()
        for frame in frames[1:]:
            conn._dispatch(frame)
        return conn
    except BaseException:
        sock.close()
        raise


def _read_frames(sock, reader, deadline):
    """Reads until at least one frame is complete; returns the frames complete by then."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HandshakeError("no answer to Hello from the node in time")
        sock.settimeout(left)
        try:
            data = sock.recv(64 * 1024)
        except socket.timeout:
            continue
        if not data:
            raise HandshakeError("the node closed the connection during the handshake",
                                 by_peer=True)
        frames = reader.feed(data)
        if frames:
            return frames
