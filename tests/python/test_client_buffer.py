"""The Python client as a producer and consumer of a troupe bounded buffer: it speaks the
buffer's Protobuf protocol (proto/troupe/actors/bounded_buffer.proto, items as
google.protobuf.Any) to a C++ node that serves one (tests/actors_remote/pattern_server.cpp).

Environment: TROUPE_PATTERN_SERVER = path of the server, PYTHONPATH with the generated
troupe/wire_pb2.py, troupe/actors/{errors,bounded_buffer}_pb2.py and samples/python.
"""

import os
import unittest

from google.protobuf import any_pb2
from google.protobuf import wrappers_pb2

from troupe.actors import bounded_buffer_pb2 as bb
from troupe.actors import errors_pb2

import troupe_wire
from child_process import ChildProcess


def packed(value):
    """An Int64Value in an Any, as a buffer item."""
    item = any_pb2.Any()
    item.Pack(wrappers_pb2.Int64Value(value=value))
    return item


def unpacked(reply):
    """The Int64Value of an Item reply."""
    value = wrappers_pb2.Int64Value()
    if not reply.item.Unpack(value):
        raise AssertionError(f"the item is no Int64Value: {reply.item.type_url}")
    return value.value


class BufferClient(unittest.TestCase):
    def setUp(self):
        self.node = ChildProcess([os.environ["TROUPE_PATTERN_SERVER"],
                                  "--troupe.net.listen=127.0.0.1:0", "--capacity=3"], "endpoint ")
        self.addCleanup(self.node.close)
        self.conn = self.connect()

    def connect(self):
        conn = troupe_wire.connect(self.node.endpoint, timeout=10.0)
        self.addCleanup(conn.close)
        return conn

    def ask(self, conn, request):
        """The one reply message of a request."""
        values = conn.request("buffer", request, timeout=10.0)
        self.assertEqual(len(values), 1)
        return values[0]

    def test_put_take_task_done_join_and_stats(self):
        for i in range(3):
            self.assertIsInstance(self.ask(self.conn, bb.Put(item=packed(i))), bb.PutDone)
        taken = []
        for _ in range(3):
            taken.append(unpacked(self.ask(self.conn, bb.Take())))
            self.assertIsInstance(self.ask(self.conn, bb.TaskDone()), bb.Done)
        self.assertEqual(taken, [0, 1, 2])
        self.assertIsInstance(self.ask(self.conn, bb.Join()), bb.Done)
        stats = self.ask(self.conn, bb.GetStats())
        self.assertIsInstance(stats, bb.BufferStats)
        self.assertEqual((stats.capacity, stats.puts, stats.takes, stats.unfinished),
                         (3, 3, 3, 0))

    def test_errors_are_troupe_actors_error_with_their_codes(self):
        err = self.ask(self.conn, bb.TaskDone())
        self.assertIsInstance(err, errors_pb2.Error)
        self.assertEqual(err.code, errors_pb2.NOTHING_TAKEN)
        err = self.ask(self.conn, bb.Take(wait_ns=20_000_000))
        self.assertEqual(err.code, errors_pb2.TIMEOUT)
        self.assertIsInstance(self.ask(self.conn, bb.Put(item=packed(7))), bb.PutDone)
        self.assertIsInstance(self.ask(self.conn, bb.Close()), bb.Done)
        err = self.ask(self.conn, bb.Put(item=packed(8)))
        self.assertEqual((err.code, err.text), (errors_pb2.CLOSED, "put on a closed bounded_buffer"))
        self.assertEqual(unpacked(self.ask(self.conn, bb.Take())), 7)
        self.assertIsInstance(self.ask(self.conn, bb.TaskDone()), bb.Done)
        self.assertEqual(self.ask(self.conn, bb.Take()).code, errors_pb2.END_OF_STREAM)

    def test_the_item_of_a_client_that_disconnects_goes_to_the_next_taker(self):
        self.assertIsInstance(self.ask(self.conn, bb.Put(item=packed(42))), bb.PutDone)
        holder = self.connect()
        self.assertEqual(unpacked(self.ask(holder, bb.Take())), 42)
        holder.close("holder gone")  # never marked done: the buffer takes the item back
        self.assertEqual(unpacked(self.ask(self.conn, bb.Take(wait_ns=10_000_000_000))), 42)
        stats = self.ask(self.conn, bb.GetStats())
        self.assertEqual((stats.redelivered, stats.takes), (1, 2))


if __name__ == "__main__":
    unittest.main()
