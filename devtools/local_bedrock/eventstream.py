"""The AWS event stream binary format (`application/vnd.amazon.eventstream`): encoder and decoder.

ConverseStream answers with a sequence of these messages. Each message is::

    total length      u32 big-endian   (the whole message, CRCs included)
    headers length    u32 big-endian
    prelude CRC32     u32 big-endian   (of the 8 bytes above)
    headers           name length (u8), name (UTF-8), value type (u8), value
    payload           bytes (here: a JSON object)
    message CRC32     u32 big-endian   (of every byte before it, prelude CRC included)

Header values written here are strings (type 7: u16 big-endian length, UTF-8 bytes), byte
arrays (type 6, same layout), booleans (types 0 and 1, no value bytes) and 32-bit integers
(type 4). botocore ships only a decoder (`botocore.eventstream.EventStreamBuffer`); the tests
check that it decodes these frames byte for byte. `decode_message` is a small strict decoder of
the same format (CRCs checked) for debugging and tests.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

HeaderValue = str | bytes | bool | int
"""A header value: str (type 7), bytes (type 6), bool (types 0/1) or int (type 4, int32)."""

PRELUDE_LENGTH = 12
"""Bytes of the prelude (two lengths and the prelude CRC)."""

MAX_HEADER_VALUE_LENGTH = 32_767
"""Largest string or byte-array header value, in bytes (the format's signed 16-bit limit)."""

MAX_HEADERS_LENGTH = 128 * 1024
"""Largest headers section accepted (botocore's limit)."""

MAX_PAYLOAD_LENGTH = 16 * 1024 * 1024
"""Largest payload accepted (the service limit is 16 MiB)."""

_TYPE_TRUE, _TYPE_FALSE, _TYPE_INT32, _TYPE_BYTES, _TYPE_STRING = 0, 1, 4, 6, 7


class EventStreamError(ValueError):
    """A frame that breaks the format: bad lengths, a CRC mismatch or an unknown header type."""


@dataclass(frozen=True)
class EventMessage:
    """One decoded message: its headers (in order) and payload bytes."""

    headers: dict[str, HeaderValue]
    payload: bytes

    def json(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.payload)


def _crc32(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start) & 0xFFFFFFFF


def encode_headers(headers: Mapping[str, HeaderValue]) -> bytes:
    """The headers section for `headers`, in mapping order.

    Raises ValueError for an empty or over-long name (more than 255 UTF-8 bytes), an over-long
    value (more than `MAX_HEADER_VALUE_LENGTH` bytes), an int outside int32 or another type.
    """
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        if not 1 <= len(raw_name) <= 255:
            raise ValueError(f"header name {name!r} must be 1 to 255 UTF-8 bytes long")
        out += struct.pack(">B", len(raw_name)) + raw_name
        if isinstance(value, bool):
            out += struct.pack(">B", _TYPE_TRUE if value else _TYPE_FALSE)
        elif isinstance(value, int):
            if not -(2**31) <= value < 2**31:
                raise ValueError(f"header {name!r}: integer {value} does not fit in int32")
            out += struct.pack(">Bi", _TYPE_INT32, value)
        elif isinstance(value, str | bytes):
            raw = value.encode("utf-8") if isinstance(value, str) else value
            if len(raw) > MAX_HEADER_VALUE_LENGTH:
                raise ValueError(
                    f"header {name!r}: value of {len(raw)} bytes exceeds {MAX_HEADER_VALUE_LENGTH}"
                )
            kind = _TYPE_STRING if isinstance(value, str) else _TYPE_BYTES
            out += struct.pack(">BH", kind, len(raw)) + raw
        else:
            raise ValueError(
                f"header {name!r}: unsupported value type {type(value).__name__} "
                "(use str, bytes, bool or int)"
            )
    return bytes(out)


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """One complete event stream message (prelude, headers, payload and both CRC32s).

    Raises ValueError when the headers or the payload exceed the format's limits.
    """
    raw_headers = encode_headers(headers)
    if len(raw_headers) > MAX_HEADERS_LENGTH:
        raise ValueError(f"headers of {len(raw_headers)} bytes exceed {MAX_HEADERS_LENGTH}")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_LENGTH}")
    total = PRELUDE_LENGTH + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", _crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", _crc32(body))


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_event(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An event message (``:message-type: event``) with a JSON payload, as Bedrock sends them."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, _json_bytes(payload))


def encode_exception(exception_type: str, message: str) -> bytes:
    """A modelled exception message (``:message-type: exception``), e.g. a
    ``modelStreamErrorException`` in the middle of a stream; botocore raises it as an error."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, _json_bytes({"message": message}))


def _decode_headers(raw: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    pos = 0
    try:
        while pos < len(raw):
            (name_length,) = struct.unpack_from(">B", raw, pos)
            name = raw[pos + 1 : pos + 1 + name_length].decode("utf-8")
            pos += 1 + name_length
            (kind,) = struct.unpack_from(">B", raw, pos)
            pos += 1
            value: HeaderValue
            if kind in (_TYPE_TRUE, _TYPE_FALSE):
                value = kind == _TYPE_TRUE
            elif kind == _TYPE_INT32:
                (value,) = struct.unpack_from(">i", raw, pos)
                pos += 4
            elif kind in (_TYPE_BYTES, _TYPE_STRING):
                (length,) = struct.unpack_from(">H", raw, pos)
                data = raw[pos + 2 : pos + 2 + length]
                if len(data) != length:
                    raise EventStreamError(f"header {name!r} is truncated")
                value = data.decode("utf-8") if kind == _TYPE_STRING else data
                pos += 2 + length
            else:
                raise EventStreamError(f"header {name!r} has unsupported value type {kind}")
            headers[name] = value
    except struct.error as exc:
        raise EventStreamError(f"truncated headers section: {exc}") from exc
    return headers


def decode_message(data: bytes) -> tuple[EventMessage, int]:
    """Decode the message at the start of `data`; returns it and the number of bytes it used.

    Raises EventStreamError when `data` is shorter than the message, a length is impossible, or
    the prelude or message CRC32 does not match.
    """
    if len(data) < PRELUDE_LENGTH:
        raise EventStreamError(f"need {PRELUDE_LENGTH} prelude bytes, got {len(data)}")
    total, headers_length, prelude_crc = struct.unpack_from(">III", data, 0)
    if _crc32(data[:8]) != prelude_crc:
        raise EventStreamError(
            f"prelude CRC32 mismatch: frame says {prelude_crc:#010x}, bytes give "
            f"{_crc32(data[:8]):#010x}"
        )
    payload_length = total - PRELUDE_LENGTH - headers_length - 4
    if payload_length < 0 or headers_length > MAX_HEADERS_LENGTH:
        raise EventStreamError(f"impossible lengths: total {total}, headers {headers_length}")
    if len(data) < total:
        raise EventStreamError(f"message of {total} bytes is truncated at {len(data)}")
    (message_crc,) = struct.unpack_from(">I", data, total - 4)
    if _crc32(data[: total - 4]) != message_crc:
        raise EventStreamError(
            f"message CRC32 mismatch: frame says {message_crc:#010x}, bytes give "
            f"{_crc32(data[: total - 4]):#010x}"
        )
    headers_end = PRELUDE_LENGTH + headers_length
    headers = _decode_headers(data[PRELUDE_LENGTH:headers_end])
    return EventMessage(headers=headers, payload=bytes(data[headers_end : total - 4])), total


def iter_messages(data: bytes) -> Iterator[EventMessage]:
    """Every message of a complete stream body (raises EventStreamError on trailing bytes)."""
    pos = 0
    view = memoryview(data)
    while pos < len(data):
        message, used = decode_message(bytes(view[pos:]))
        pos += used
        yield message


__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_HEADER_VALUE_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "PRELUDE_LENGTH",
    "EventMessage",
    "EventStreamError",
    "HeaderValue",
    "decode_message",
    "encode_event",
    "encode_exception",
    "encode_headers",
    "encode_message",
    "iter_messages",
]
