"""The Python client against the C++ side of the protocol: net_protocol_peer (the C++ state
machine and payload codec on a socket, with fake actors; see tests/net/protocol_peer.cpp).

Environment: TROUPE_PROTOCOL_PEER = path of net_protocol_peer, TROUPE_CLIENT = the CLI launcher,
PYTHONPATH with the generated troupe/wire_pb2.py and troupe/test/messages_pb2.py.
"""

import os
import subprocess
import tempfile
import unittest

from google.protobuf import duration_pb2

from troupe.test import messages_pb2

import troupe_wire
from child_process import ChildProcess
from troupe_handshake import HandshakeError
from troupe_payloads import RemoteError

PEER = os.environ["TROUPE_PROTOCOL_PEER"]


class PeerProcess(ChildProcess):
    """A net_protocol_peer child, with its secret file if it has a secret."""

    def __init__(self, secret=None, connections=1):
        self.secret_file = None
        args = [PEER, f"--connections={connections}"]
        if secret is not None:
            self.secret_file = tempfile.NamedTemporaryFile(delete=False)
            self.secret_file.write(secret)
            self.secret_file.close()
            args.append(f"--secret-file={self.secret_file.name}")
        super().__init__(args, "listening ")

    def close(self):
        super().close()
        if self.secret_file is not None:
            os.unlink(self.secret_file.name)
            self.secret_file = None


class AgainstPeer(unittest.TestCase):
    def setUp(self):
        self.peer = PeerProcess()
        self.addCleanup(self.peer.close)
        self.conn = troupe_wire.connect(self.peer.endpoint, timeout=10.0)
        self.addCleanup(self.conn.close)

    def test_sends_to_a_named_actor_and_reads_the_sum_by_an_empty_request(self):
        self.conn.send("counter", 5)
        self.conn.send("counter", 37)
        self.assertEqual(self.conn.request("counter", timeout=10.0), [42])
        self.assertEqual(self.conn.errors, [])

    def test_a_request_with_a_protobuf_message_gets_a_protobuf_reply(self):
        [pong] = self.conn.request("echo", messages_pb2.Ping(text="hi", seq=1), timeout=10.0)
        self.assertIsInstance(pong, messages_pb2.Pong)
        self.assertEqual((pong.text, pong.seq), ("hi!", 2))
        self.assertEqual(self.conn.request("echo", "a", True, 2.5, 7, timeout=10.0),
                         ["a", True, 2.5, 7])

    def test_an_error_reply_is_raised_with_category_code_and_text(self):
        with self.assertRaises(RemoteError) as caught:
            self.conn.request("fail", 1, timeout=10.0)
        err = caught.exception
        self.assertEqual((err.category, err.code), ("system", 28))  # CAF 0.17 sec::runtime_error
        self.assertEqual(err.text, "failed on purpose")

    def test_an_unknown_name_or_type_fails_that_request_and_the_connection_lives(self):
        with self.assertRaises(RemoteError) as caught:
            self.conn.request("nobody", 1, timeout=10.0)
        self.assertEqual((caught.exception.category, caught.exception.code), ("troupe_net", 13))
        with self.assertRaises(RemoteError) as caught:
            self.conn.request("echo", duration_pb2.Duration(seconds=1), timeout=10.0)
        self.assertEqual(caught.exception.code, 11)  # unknown_type
        self.assertIn("google.protobuf.Duration", caught.exception.text)
        self.conn.send("nobody", 1)
        self.assertEqual(self.conn.lookup("counter", timeout=10.0), 1)
        self.assertEqual([e.code for e in self.conn.errors], [13])
        self.assertEqual(self.conn.request("counter", timeout=10.0), [0])

    def test_a_lookup_of_an_unknown_name_is_refused(self):
        with self.assertRaises(RemoteError) as caught:
            self.conn.lookup("nobody", timeout=10.0)
        self.assertEqual((caught.exception.category, caught.exception.code), ("troupe", 3))

    def test_monitor_then_down_with_the_exit_reason(self):
        self.conn.monitor("doomed")
        self.conn.send("doomed", "exit now")
        reason = self.conn.wait_down("doomed", 10.0)
        self.assertEqual((reason.category, reason.code), ("exit", 4))  # user_shutdown
        self.conn.monitor("ghost")
        reason = self.conn.wait_down("ghost", 10.0)
        self.assertEqual((reason.category, reason.code), ("exit", 2))  # unknown

    def test_heartbeats_keep_an_idle_connection_up_beyond_the_silence_bound(self):
        # The peer drops a connection silent for 4 s; waiting 5 s for nothing must not be
        # silence, because the client sends heartbeats while it waits.
        with self.assertRaises(troupe_wire.Timeout):
            self.conn.receive(timeout=5.0)
        self.assertEqual(self.conn.request("counter", timeout=10.0), [0])


class Secrets(unittest.TestCase):
    def test_the_same_secret_on_both_sides_connects(self):
        with PeerProcess(secret=b"cookie") as peer:
            with troupe_wire.connect(peer.endpoint, secret=b"cookie", timeout=10.0) as conn:
                self.assertEqual(conn.request("counter", timeout=10.0), [0])

    def refused(self, peer_secret, client_secret):
        with PeerProcess(secret=peer_secret) as peer:
            with self.assertRaises(HandshakeError) as caught:
                troupe_wire.connect(peer.endpoint, secret=client_secret, timeout=10.0)
            self.assertEqual(caught.exception.code, 4)  # authentication_failed
            peer.proc.wait(timeout=10)
            # The peer was told why, by a closing Error frame with the same code.
            self.assertIn("peer error 4", peer.proc.stderr.read())

    def test_a_wrong_secret_is_refused(self):
        self.refused(b"cookie", b"biscuit")

    def test_a_missing_secret_is_refused(self):
        self.refused(b"cookie", None)

    def test_a_secret_the_node_does_not_have_is_refused(self):
        self.refused(None, b"cookie")


class CommandLine(unittest.TestCase):
    CLIENT = os.environ["TROUPE_CLIENT"]

    def run_client(self, *args):
        return subprocess.run([self.CLIENT, *args], capture_output=True, text=True, timeout=60)

    def test_help(self):
        done = self.run_client("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--secret-file", done.stdout)
        self.assertIn("TYPE=TEXT", done.stdout)

    def test_request_prints_the_reply(self):
        with PeerProcess() as peer:
            done = self.run_client("--peer", peer.endpoint, "--import",
                                   "troupe.test.messages_pb2", "request", "echo",
                                   'troupe.test.Ping=text: "hi" seq: 1')
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.splitlines(),
                             ['troupe.test.Pong=text: "hi!" seq: 2'])

    def test_send_then_monitor(self):
        with PeerProcess(connections=2) as peer:
            done = self.run_client("--peer", peer.endpoint, "send", "counter", "int64=4")
            self.assertEqual((done.returncode, done.stdout), (0, "sent to counter\n"),
                             done.stderr)
            done = self.run_client("--peer", peer.endpoint, "monitor", "ghost")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("down ghost: exit error 2", done.stdout)

    def test_a_send_to_an_unknown_name_fails_with_status_1(self):
        with PeerProcess() as peer:
            done = self.run_client("--peer", peer.endpoint, "send", "nobody", "int64=4")
            self.assertEqual(done.returncode, 1)
            self.assertIn("troupe_net error 13", done.stderr)

    def test_a_secret_file_with_a_line_end_holds_the_secret_without_it(self):
        with PeerProcess(secret=b"cookie\n") as peer:
            done = self.run_client("--peer", peer.endpoint, "--secret-file",
                                   peer.secret_file.name, "request", "counter")
            self.assertEqual((done.returncode, done.stdout), (0, "int=0\n"), done.stderr)
            peer.proc.wait(timeout=10)
            self.assertEqual(peer.proc.stderr.read(), "")

    def test_a_bad_value_is_a_usage_error(self):
        done = self.run_client("--peer", "127.0.0.1:1", "send", "x", "int64=notanumber")
        self.assertEqual(done.returncode, 2)


if __name__ == "__main__":
    unittest.main()
