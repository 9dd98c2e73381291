"""The connector's side of troupe's handshake (docs/wire-protocol.md, section 4).

Hello -> Challenge -> Welcome, with HMAC-SHA256 proofs over a transcript of both nonces and
both incarnations when a shared secret is set. Free of I/O: `hello()` gives the first frame,
`answer(frame)` checks the node's answer and gives the Welcome.
"""

import hashlib
import hmac
import os
import struct

from troupe import wire_pb2

PROTOCOL_VERSION = 1
NONCE_SIZE = 32
# A frame limit announced in the handshake is 0 (= the default, 16 MiB) or at least this.
MIN_FRAME_LIMIT = 65536
ACCEPTOR_LABEL = b"troupe-wire-v1 acceptor proof"
CONNECTOR_LABEL = b"troupe-wire-v1 connector proof"

# troupe_net error codes of the handshake (docs/wire-protocol.md, section 7).
HANDSHAKE_FAILED = 2
VERSION_MISMATCH = 3
AUTHENTICATION_FAILED = 4
REPLAYED_CHALLENGE = 5
UNEXPECTED_FRAME = 10


class HandshakeError(Exception):
    """The handshake failed. `code` is the troupe_net code; `by_peer` tells whether the node
    refused us (an Error frame) or we refused the node (then we owe it an Error frame)."""

    def __init__(self, text, code=HANDSHAKE_FAILED, by_peer=False):
        super().__init__(text)
        self.code = code
        self.by_peer = by_peer

    def error_frame(self):
        """The closing Error frame that tells the node why we refuse it."""
        return wire_pb2.Frame(error=wire_pb2.Error(code=self.code, text=str(self), closing=True))


def transcript(nonce_c, nonce_a, incarnation_c, incarnation_a):
    """T = version (4 B big-endian) | nonce_c | nonce_a | incarnation_c | incarnation_a
    (8 B big-endian each)."""
    return (struct.pack(">I", PROTOCOL_VERSION) + nonce_c + nonce_a +
            struct.pack(">QQ", incarnation_c, incarnation_a))


def proof(secret, label, t):
    """HMAC-SHA256(secret, label | T)."""
    return hmac.new(secret, label + t, hashlib.sha256).digest()


class Handshake:
    """One handshake as the connector. `secret` is bytes, or None/b"" for none."""

    def __init__(self, secret=None, max_frame_size=16 * 1024 * 1024, nonce=None,
                 incarnation=None):
        if max_frame_size < MIN_FRAME_LIMIT:
            raise ValueError(f"a frame limit must be at least {MIN_FRAME_LIMIT} bytes")
        self.secret = secret or b""
        self.max_frame_size = max_frame_size
        self.nonce = nonce if nonce is not None else os.urandom(NONCE_SIZE)
        self.incarnation = (incarnation if incarnation is not None
                            else int.from_bytes(os.urandom(8), "big") or 1)
        self.peer_incarnation = 0
        self.peer_endpoint = ""
        self.peer_max_frame_size = 0

    def hello(self):
        return wire_pb2.Frame(hello=wire_pb2.Hello(
            version=PROTOCOL_VERSION, incarnation=self.incarnation, endpoint="",
            nonce=self.nonce, max_frame_size=self.max_frame_size))

    def answer(self, frame):
        """Checks the node's answer to Hello; returns the Welcome frame to send.
        Raises HandshakeError if the node refused (Error) or the Challenge fails a check."""
        kind = frame.WhichOneof("kind")
        if kind == "error":
            raise HandshakeError(f"the node refused the handshake: {frame.error.text}",
                                 frame.error.code, by_peer=True)
        if kind == "goodbye":
            raise HandshakeError(f"the node said goodbye: {frame.goodbye.reason}",
                                 HANDSHAKE_FAILED, by_peer=True)
        if kind != "challenge":
            raise HandshakeError(f"expected a Challenge, got {kind!r}", UNEXPECTED_FRAME)
        ch = frame.challenge
        if ch.version != PROTOCOL_VERSION:
            raise HandshakeError(f"the node speaks protocol version {ch.version}, "
                                 f"this client {PROTOCOL_VERSION}", VERSION_MISMATCH)
        if len(ch.nonce) != NONCE_SIZE or ch.incarnation == 0:
            raise HandshakeError("the Challenge's nonce is not 32 bytes or its incarnation "
                                 "is 0", HANDSHAKE_FAILED)
        if 0 < ch.max_frame_size < MIN_FRAME_LIMIT:
            raise HandshakeError(f"the Challenge's frame limit {ch.max_frame_size} is below "
                                 f"{MIN_FRAME_LIMIT}", HANDSHAKE_FAILED)
        if ch.nonce == self.nonce:
            raise HandshakeError("the Challenge repeats this client's nonce", REPLAYED_CHALLENGE)
        t = transcript(self.nonce, ch.nonce, self.incarnation, ch.incarnation)
        if self.secret:
            if not hmac.compare_digest(ch.proof, proof(self.secret, ACCEPTOR_LABEL, t)):
                raise HandshakeError("the node does not prove the shared secret",
                                     AUTHENTICATION_FAILED)
            mine = proof(self.secret, CONNECTOR_LABEL, t)
        else:
            if ch.proof:
                raise HandshakeError("the node proves a shared secret but this client has none",
                                     AUTHENTICATION_FAILED)
            mine = b""
        self.peer_incarnation = ch.incarnation
        self.peer_endpoint = ch.endpoint
        self.peer_max_frame_size = ch.max_frame_size or 16 * 1024 * 1024
        return wire_pb2.Frame(welcome=wire_pb2.Welcome(proof=mine))
