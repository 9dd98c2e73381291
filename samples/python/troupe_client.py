#!/usr/bin/python3
"""Talks to a troupe node from the command line (the library is troupe_wire.py).

Run it with Debian's /usr/bin/python3 (python3-protobuf) and the generated troupe/wire_pb2.py
on PYTHONPATH; build/samples/python/troupe_client is a launcher that sets the path up.
"""

import argparse
import importlib
import sys

from google.protobuf import symbol_database
from google.protobuf import text_format
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message

import troupe_wire
from troupe_handshake import HandshakeError
from troupe_payloads import RemoteError

SCALARS = {
    "int32": lambda text: wrappers_pb2.Int32Value(value=int(text, 0)),
    "int64": lambda text: wrappers_pb2.Int64Value(value=int(text, 0)),
    "uint32": lambda text: wrappers_pb2.UInt32Value(value=int(text, 0)),
    "uint64": lambda text: wrappers_pb2.UInt64Value(value=int(text, 0)),
    "double": lambda text: wrappers_pb2.DoubleValue(value=float(text)),
    "float": lambda text: wrappers_pb2.FloatValue(value=float(text)),
    "bool": lambda text: wrappers_pb2.BoolValue(value=_parse_bool(text)),
    "string": lambda text: wrappers_pb2.StringValue(value=text),
}

EPILOG = """values are TYPE=TEXT, TYPE one of int32, int64, uint32, uint64, double, float, bool,
string, or the full name of a Protobuf message type from a module given with --import, TEXT then
in Protobuf text format, e.g. troupe.test.Ping='text: "hi" seq: 1'.

examples:
  troupe_client --peer 127.0.0.1:4000 send counter int64=5
  troupe_client --peer 127.0.0.1:4000 --import troupe.test.messages_pb2 \\
      request echo troupe.test.Ping='text: "hi" seq: 1'
  troupe_client --peer unix:/tmp/node.sock --secret-file cookie monitor worker

request prints each value of the reply on a line (TYPE=TEXT); monitor waits for the Down and
prints "down NAME: REASON". Exit status: 0 on success, 1 when the node refuses or fails (error
reply, unknown name or type, handshake refused, timeout), 2 for a wrong command line."""


def _parse_bool(text):
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not a bool (true, false, 1, 0)")


def parse_value(arg):
    """Builds the Protobuf message of one TYPE=TEXT argument."""
    type_name, sep, text = arg.partition("=")
    if not sep:
        raise ValueError(f"{arg!r} is not TYPE=TEXT")
    if type_name in SCALARS:
        return SCALARS[type_name](text)
    try:
        cls = symbol_database.Default().GetSymbol(type_name)
    except KeyError:
        raise ValueError(f"unknown type {type_name!r}: a scalar or a message type of a module "
                         "given with --import")
    return text_format.Parse(text, cls())


def format_value(value):
    """Renders one received value as TYPE=TEXT."""
    if isinstance(value, Message):
        text = text_format.MessageToString(value, as_one_line=True)
        return f"{value.DESCRIPTOR.full_name}={text}"
    if isinstance(value, RemoteError):
        return f"error={value}"
    if isinstance(value, bool):
        return f"bool={'true' if value else 'false'}"
    if isinstance(value, int):
        return f"int={value}"
    if isinstance(value, float):
        return f"double={value!r}"
    if isinstance(value, bytes):
        return f"bytes={value!r}"
    return f"string={value}"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="troupe_client",
        description="Sends messages and requests to actors on a troupe node, or monitors one, "
        "over troupe's wire protocol (docs/wire-protocol.md).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", required=True, metavar="ENDPOINT",
                        help="the node: host:port or unix:/path")
    parser.add_argument("--secret-file", metavar="F",
                        help="file holding the node's shared secret (omit if it has none)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S",
                        help="seconds to wait for the handshake and for each answer "
                        "(default 5; monitor waits this long for the Down)")
    parser.add_argument("--import", dest="modules", action="append", default=[],
                        metavar="MODULE", help="a generated _pb2 module whose message types "
                        "may be sent and received, e.g. troupe.test.messages_pb2")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    send = commands.add_parser("send", help="send a one-way message to a named actor")
    send.add_argument("name")
    send.add_argument("values", nargs="*", metavar="VALUE")
    request = commands.add_parser("request", help="send a request and print the reply")
    request.add_argument("name")
    request.add_argument("values", nargs="*", metavar="VALUE")
    monitor = commands.add_parser("monitor", help="monitor an actor and wait for its Down")
    monitor.add_argument("name")
    return parser


def run(args):
    """Runs one command; returns the exit status."""
    secret = None
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            # As the node reads it: the line end(s) at the end are not part of the secret.
            secret = f.read().rstrip(b"\r\n")
    values = [parse_value(v) for v in getattr(args, "values", [])]
    with troupe_wire.connect(args.peer, secret=secret, timeout=args.timeout) as conn:
        if args.command == "send":
            conn.send(args.name, *values)
            # A one-way message has no answer; a failure comes back as an Error frame. The
            # answer to a lookup comes after it, so that a failed send is not reported as sent.
            try:
                conn.lookup(args.name, args.timeout)
            except RemoteError:
                if not conn.errors:  # else the send's own error says more
                    raise
            if conn.errors:
                raise conn.errors[0]
            print(f"sent to {args.name}")
        elif args.command == "request":
            for value in conn.request(args.name, *values, timeout=args.timeout):
                print(format_value(value))
        else:
            conn.monitor(args.name)
            reason = conn.wait_down(args.name, args.timeout)
            print(f"down {args.name}: {reason if reason else 'normal'}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        for module in args.modules:
            importlib.import_module(module)
    except ImportError as err:
        parser.error(f"cannot import {err.name}: is its _pb2 module on PYTHONPATH?")
    try:
        return run(args)
    except ValueError as err:
        parser.error(str(err))
    except (RemoteError, HandshakeError, troupe_wire.ProtocolError, troupe_wire.Timeout,
            OSError) as err:
        print(f"troupe_client: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
