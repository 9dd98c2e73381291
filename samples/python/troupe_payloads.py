"""Payloads of troupe's wire protocol: Python values to (type URL, bytes) and back.

A payload is a google.protobuf.Any's two fields. Python values map to the well-known wrapper
types as docs/wire-protocol.md lists them (str -> StringValue, bool -> BoolValue, int ->
Int64Value, float -> DoubleValue); a wrapper message (e.g. wrappers_pb2.Int32Value) or any
other Protobuf message is sent as itself. Received payloads are read back the same way: a
wrapper becomes its Python value, troupe.wire.ErrorValue becomes a RemoteError, any message
type whose _pb2 module is imported becomes an instance of its class.
"""

from google.protobuf import message as pb_message
from google.protobuf import symbol_database
from google.protobuf import wrappers_pb2

from troupe import wire_pb2

TYPE_URL_PREFIX = "type.googleapis.com/"

# Wrapper types read back as plain Python values.
_WRAPPERS = (
    wrappers_pb2.Int32Value,
    wrappers_pb2.Int64Value,
    wrappers_pb2.UInt32Value,
    wrappers_pb2.UInt64Value,
    wrappers_pb2.DoubleValue,
    wrappers_pb2.FloatValue,
    wrappers_pb2.BoolValue,
    wrappers_pb2.StringValue,
    wrappers_pb2.BytesValue,
)
_WRAPPER_NAMES = {cls.DESCRIPTOR.full_name for cls in _WRAPPERS}


class RemoteError(Exception):
    """An error value from the other side: a failed request, an exit reason, a protocol error.

    `category` is the CAF category ("system", "exit", "troupe", "troupe_net", ...), `code` the
    number within it, `text` the context as text.
    """

    def __init__(self, category, code, text=""):
        super().__init__(f"{category} error {code}" + (f": {text}" if text else ""))
        self.category = category
        self.code = code
        self.text = text

    @classmethod
    def from_wire(cls, value):
        """Builds the error of a troupe.wire.ErrorValue, or None if it says "no error"."""
        if value.code == 0:
            return None
        return cls(value.category, value.code, value.text)


class UnknownType(Exception):
    """A payload whose type URL names no message type this process has imported."""


def type_url(message_class_or_instance):
    """Returns "type.googleapis.com/<full name>" of a generated message class or instance."""
    return TYPE_URL_PREFIX + message_class_or_instance.DESCRIPTOR.full_name


def to_message(value):
    """Returns the Protobuf message that carries `value` (see the module's mapping)."""
    if isinstance(value, pb_message.Message):
        return value
    if isinstance(value, RemoteError):
        return wire_pb2.ErrorValue(code=value.code, category=value.category, text=value.text)
    if isinstance(value, bool):  # before int: bool is an int in Python
        return wrappers_pb2.BoolValue(value=value)
    if isinstance(value, int):
        return wrappers_pb2.Int64Value(value=value)
    if isinstance(value, float):
        return wrappers_pb2.DoubleValue(value=value)
    if isinstance(value, str):
        return wrappers_pb2.StringValue(value=value)
    raise TypeError(f"cannot send a value of type {type(value).__name__}: "
                    "use a Protobuf message or str, bool, int, float")


def encode(value):
    """Returns the payload (type URL, bytes) of `value`."""
    msg = to_message(value)
    return type_url(msg), msg.SerializeToString()


def decode(url, data):
    """Returns the Python value of a payload; raises UnknownType or DecodeError."""
    if not url.startswith(TYPE_URL_PREFIX):
        raise UnknownType(f"type URL {url!r} does not start with {TYPE_URL_PREFIX!r}")
    name = url[len(TYPE_URL_PREFIX):]
    try:
        cls = symbol_database.Default().GetSymbol(name)
    except KeyError:
        raise UnknownType(f"no imported message type is called {name!r} (type URL {url!r})")
    msg = cls.FromString(data)
    if name in _WRAPPER_NAMES:
        return msg.value
    if name == wire_pb2.ErrorValue.DESCRIPTOR.full_name:
        return RemoteError.from_wire(msg)
    return msg
