"""The Python client's encoding, without a node: the frames and proofs of docs/wire-protocol.md."""

import struct
import unittest

from google.protobuf import wrappers_pb2

from troupe import wire_pb2

import troupe_handshake
import troupe_payloads
import troupe_wire
from troupe_handshake import Handshake, HandshakeError


def unhex(text):
    return bytes.fromhex("".join(text.split()))


class DocumentedBytes(unittest.TestCase):
    """The examples of docs/wire-protocol.md, sections 4 and 10 (bytes a C++ node writes)."""

    def test_the_worked_example_of_the_proofs(self):
        t = troupe_handshake.transcript(bytes(range(0, 32)), bytes(range(32, 64)),
                                        0x1111111111111111, 0x2222222222222222)
        self.assertEqual(len(t), 84)
        self.assertEqual(
            troupe_handshake.proof(b"cookie", troupe_handshake.ACCEPTOR_LABEL, t).hex(),
            "a50fc62a7e73bf4672faa2b9fcdba3682f1b010d9175cad0f2952487b5635338")
        self.assertEqual(
            troupe_handshake.proof(b"cookie", troupe_handshake.CONNECTOR_LABEL, t).hex(),
            "efa71dac9cb6786255443a9e3fa315efacc0fe4a070d0805d095f7778e386f92")

    def test_a_heartbeat_frame(self):
        frame = wire_pb2.Frame(heartbeat=wire_pb2.Heartbeat())
        self.assertEqual(troupe_wire.frame_bytes(frame), unhex("00 00 00 02 5a 00"))

    def test_a_batch_of_two_requests_reads_as_the_client_builds_it(self):
        url = b"type.googleapis.com/google.protobuf.Int32Value"
        body = (unhex("22 57 0a 2e") + url + unhex("12 07") + b"counter" + unhex("18 07") +
                unhex("22 0c 08 01 18 01 20 01 32 04 12 02 08 2a") +
                unhex("22 0c 08 01 18 01 20 02 32 04 12 02 08 2a"))
        written_by_cpp = struct.pack(">I", len(body)) + body
        self.assertEqual(written_by_cpp[:4], unhex("00 00 00 59"))
        [frame] = troupe_wire.FrameReader().feed(written_by_cpp)
        builder = troupe_wire.BatchBuilder()
        for request_id in (1, 2):
            builder.add([wrappers_pb2.Int32Value(value=42)], target_name="counter",
                        sender_id=7, request_id=request_id)
        self.assertEqual(frame, builder.frame())
        received = [troupe_wire.Received(frame.batch, m) for m in frame.batch.messages]
        self.assertEqual([(r.target_name, r.sender_id, r.request_id, r.values) for r in received],
                         [("counter", 7, 1, [42]), ("counter", 7, 2, [42])])

    def test_a_reply_from_actor_3(self):
        url = b"type.googleapis.com/google.protobuf.Int32Value"
        data = (unhex("00 00 00 40 22 3e 0a 2e") + url + unhex("18 03") +
                unhex("22 0a 18 01 28 01 32 04 12 02 08 2a"))
        [frame] = troupe_wire.FrameReader().feed(data)
        [reply] = [troupe_wire.Received(frame.batch, m) for m in frame.batch.messages]
        self.assertEqual((reply.sender_id, reply.reply_to, reply.values, reply.error),
                         (3, 1, [42], None))


class Framing(unittest.TestCase):
    def frames(self):
        return [wire_pb2.Frame(heartbeat=wire_pb2.Heartbeat()),
                wire_pb2.Frame(goodbye=wire_pb2.Goodbye(reason="x" * 300)),
                wire_pb2.Frame(lookup=wire_pb2.Lookup(name="counter", request_id=9))]

    def test_many_frames_in_one_read(self):
        data = b"".join(troupe_wire.frame_bytes(f) for f in self.frames())
        self.assertEqual(troupe_wire.FrameReader().feed(data), self.frames())

    def test_one_byte_at_a_time(self):
        data = b"".join(troupe_wire.frame_bytes(f) for f in self.frames())
        reader = troupe_wire.FrameReader()
        got = []
        for i in range(len(data)):
            got += reader.feed(data[i:i + 1])
        self.assertEqual(got, self.frames())

    def test_a_zero_length_prefix_is_an_empty_frame(self):
        with self.assertRaises(troupe_wire.ProtocolError) as caught:
            troupe_wire.FrameReader().feed(b"\0\0\0\0")
        self.assertEqual(caught.exception.code, 8)

    def test_a_length_over_the_limit_is_refused_before_the_body_arrives(self):
        with self.assertRaises(troupe_wire.ProtocolError) as caught:
            troupe_wire.FrameReader(max_frame_size=100).feed(struct.pack(">I", 101))
        self.assertEqual(caught.exception.code, 6)

    def test_a_body_that_does_not_parse_is_a_malformed_frame(self):
        with self.assertRaises(troupe_wire.ProtocolError) as caught:
            troupe_wire.FrameReader().feed(b"\0\0\0\x02\xff\xff")
        self.assertEqual(caught.exception.code, 7)


def challenge(shake, secret=b"", **changes):
    """The Challenge an honest acceptor with `secret` answers to `shake`, then `changes`."""
    fields = dict(version=1, incarnation=0x2222, endpoint="127.0.0.1:9", nonce=b"\x07" * 32,
                  max_frame_size=1 << 20)
    fields.update({k: v for k, v in changes.items() if k != "proof"})
    t = troupe_handshake.transcript(shake.nonce, fields["nonce"], shake.incarnation,
                                    fields["incarnation"])
    fields["proof"] = (troupe_handshake.proof(secret, troupe_handshake.ACCEPTOR_LABEL, t)
                       if secret else b"")
    fields["proof"] = changes.get("proof", fields["proof"])
    return wire_pb2.Frame(challenge=wire_pb2.Challenge(**fields))


class HandshakeChecks(unittest.TestCase):
    def test_hello_carries_version_nonce_and_incarnation(self):
        hello = Handshake().hello().hello
        self.assertEqual((hello.version, len(hello.nonce), hello.endpoint), (1, 32, ""))
        self.assertNotEqual(hello.incarnation, 0)
        self.assertNotEqual(Handshake().nonce, Handshake().nonce)

    def test_with_a_secret_the_welcome_proves_it(self):
        shake = Handshake(b"cookie")
        welcome = shake.answer(challenge(shake, b"cookie")).welcome
        t = troupe_handshake.transcript(shake.nonce, b"\x07" * 32, shake.incarnation, 0x2222)
        self.assertEqual(welcome.proof,
                         troupe_handshake.proof(b"cookie", troupe_handshake.CONNECTOR_LABEL, t))
        self.assertEqual((shake.peer_incarnation, shake.peer_endpoint), (0x2222, "127.0.0.1:9"))

    def test_a_frame_limit_of_0_means_the_default(self):
        shake = Handshake()
        shake.answer(challenge(shake, max_frame_size=0))
        self.assertEqual(shake.peer_max_frame_size, 16 * 1024 * 1024)
        with self.assertRaises(ValueError):
            Handshake(max_frame_size=1000)

    def test_without_a_secret_the_welcome_is_empty(self):
        shake = Handshake()
        self.assertEqual(shake.answer(challenge(shake)).welcome.proof, b"")

    def refused(self, shake, frame, code, by_peer=False):
        with self.assertRaises(HandshakeError) as caught:
            shake.answer(frame)
        self.assertEqual((caught.exception.code, caught.exception.by_peer), (code, by_peer))
        if not by_peer:
            error = caught.exception.error_frame().error
            self.assertEqual((error.code, error.closing), (code, True))

    def test_each_failed_check_has_its_code(self):
        shake = Handshake(b"cookie")
        self.refused(shake, challenge(shake, b"cookie", version=2), 3)
        self.refused(shake, challenge(shake, b"cookie", nonce=b"\x01" * 31), 2)
        self.refused(shake, challenge(shake, b"cookie", incarnation=0), 2)
        self.refused(shake, challenge(shake, b"cookie", max_frame_size=65535), 2)
        self.refused(shake, challenge(shake, b"cookie", nonce=shake.nonce), 5)
        self.refused(shake, challenge(shake, b"other"), 4)
        self.refused(shake, challenge(shake), 4)  # the node has no secret
        self.refused(Handshake(), challenge(shake, b"cookie"), 4)  # only the node has one
        self.refused(shake, wire_pb2.Frame(heartbeat=wire_pb2.Heartbeat()), 10)
        refusal = wire_pb2.Frame(error=wire_pb2.Error(code=3, text="v2 only", closing=True))
        self.refused(shake, refusal, 3, by_peer=True)


class Payloads(unittest.TestCase):
    def test_python_values_map_to_the_wrapper_types(self):
        cases = [(5, "Int64Value", b"\x08\x05"), ("hi", "StringValue", b"\x0a\x02hi"),
                 (True, "BoolValue", b"\x08\x01"), (2.5, "DoubleValue", None)]
        for value, wrapper, data in cases:
            url, encoded = troupe_payloads.encode(value)
            self.assertEqual(url, "type.googleapis.com/google.protobuf." + wrapper)
            if data is not None:
                self.assertEqual(encoded, data)
            self.assertEqual(troupe_payloads.decode(url, encoded), value)

    def test_an_error_value_reads_as_a_remote_error(self):
        err = troupe_payloads.decode(*troupe_payloads.encode(
            troupe_payloads.RemoteError("system", 4, "slow")))
        self.assertEqual((err.category, err.code, err.text), ("system", 4, "slow"))

    def test_an_unknown_type_url_is_refused(self):
        with self.assertRaises(troupe_payloads.UnknownType):
            troupe_payloads.decode("type.googleapis.com/no.Such", b"")
        with self.assertRaises(TypeError):
            troupe_payloads.encode(object())


if __name__ == "__main__":
    unittest.main()
