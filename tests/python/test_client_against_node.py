"""The Python client against real C++ nodes: troupe_net_test_node (tests/net/test_node.cpp:
echo, fail, mortal) and the ping_pong sample's server (a Protobuf request and reply).

Environment: TROUPE_TEST_NODE, TROUPE_PING_PONG = paths of the two programs, PYTHONPATH with the
generated troupe/wire_pb2.py and troupe/samples/ping_pong_pb2.py and samples/python.
"""

import os
import tempfile
import unittest

from google.protobuf import wrappers_pb2

from troupe.samples import ping_pong_pb2

import troupe_wire
from child_process import ChildProcess
from troupe_handshake import HandshakeError
from troupe_payloads import RemoteError


def test_node(*options):
    return ChildProcess([os.environ["TROUPE_TEST_NODE"], "--troupe.net.listen=127.0.0.1:0", *options],
                 "endpoint ")


class AgainstTestNode(unittest.TestCase):
    def setUp(self):
        self.node = test_node()
        self.addCleanup(self.node.close)
        self.conn = troupe_wire.connect(self.node.endpoint, timeout=10.0)
        self.addCleanup(self.conn.close)

    def test_request_and_reply_of_each_scalar(self):
        self.assertEqual(self.conn.request("echo", wrappers_pb2.Int32Value(value=-5),
                                           timeout=10.0), [-5])
        self.assertEqual(self.conn.request("echo", 1 << 40, timeout=10.0), [1 << 40])
        self.assertEqual(self.conn.request("echo", "text", timeout=10.0), ["text"])

    def test_a_message_with_a_sender_is_answered_to_the_client_as_an_actor(self):
        self.conn.send("echo", "back to me")
        received = self.conn.receive(timeout=10.0)
        self.assertEqual(received.values, ["back to me"])
        self.assertEqual(received.target_id, troupe_wire.CLIENT_ACTOR_ID)

    def test_an_error_reply_arrives_as_the_error(self):
        with self.assertRaises(RemoteError) as caught:
            self.conn.request("fail", "x", timeout=10.0)
        err = caught.exception
        self.assertEqual((err.category, err.code), ("system", 20))  # CAF sec::invalid_argument
        self.assertIn("refused on purpose", err.text)

    def test_an_unknown_name_fails_the_request_and_the_connection_lives(self):
        with self.assertRaises(RemoteError) as caught:
            self.conn.request("nobody", "x", timeout=10.0)
        self.assertEqual((caught.exception.category, caught.exception.code), ("troupe_net", 13))
        self.assertEqual(self.conn.request("echo", "still here", timeout=10.0), ["still here"])

    def test_monitor_gives_the_down_after_every_message_the_actor_sent(self):
        self.conn.monitor("mortal")
        self.conn.send("mortal", "burst", wrappers_pb2.Int32Value(value=3))
        values = [self.conn.receive(timeout=10.0).values for _ in range(3)]
        self.assertEqual(values, [[0], [1], [2]])
        reason = self.conn.wait_down("mortal", 10.0)
        self.assertEqual((reason.category, reason.code), ("system", 28))  # sec::runtime_error
        self.assertIn("exited on purpose", reason.text)


class Secrets(unittest.TestCase):
    def setUp(self):
        secret = tempfile.NamedTemporaryFile(delete=False)
        secret.write(b"cookie\n")
        secret.close()
        self.addCleanup(os.unlink, secret.name)
        self.node = test_node(f"--troupe.net.secret-file={secret.name}")
        self.addCleanup(self.node.close)

    def test_the_right_secret_connects(self):
        with troupe_wire.connect(self.node.endpoint, secret=b"cookie", timeout=10.0) as conn:
            self.assertEqual(conn.request("echo", "in", timeout=10.0), ["in"])

    def test_a_wrong_or_missing_secret_is_refused(self):
        for secret in (b"biscuit", None):
            with self.assertRaises(HandshakeError) as caught:
                troupe_wire.connect(self.node.endpoint, secret=secret, timeout=10.0)
            self.assertEqual(caught.exception.code, 4)  # authentication_failed


class AgainstPingPongServer(unittest.TestCase):
    def test_a_protobuf_request_gets_a_protobuf_reply(self):
        with ChildProcess([os.environ["TROUPE_PING_PONG"], "--role=server"], "listening on ") as server:
            with troupe_wire.connect(server.endpoint, timeout=10.0) as conn:
                for seq in (7, 8):
                    [pong] = conn.request("pong", ping_pong_pb2.Ping(seq=seq), timeout=10.0)
                    self.assertIsInstance(pong, ping_pong_pb2.Pong)
                    self.assertEqual(pong.seq, seq)


if __name__ == "__main__":
    unittest.main()
