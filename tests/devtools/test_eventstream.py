"""The local Bedrock endpoint's event stream frames (ConverseStream's wire format): every frame
decodes byte for byte with botocore's decoder, string-header frames equal a reference encoder
kept in this file, and corrupted frames fail their CRC checks."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.local_bedrock.eventstream import (
    EventStreamError,
    decode_message,
    encode_event,
    encode_exception,
    encode_message,
    iter_messages,
)


def reference_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """The event stream format written out plainly, string headers only."""
    raw_headers = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        raw_headers += bytes([len(n)]) + n + b"\x07" + len(v).to_bytes(2, "big") + v
    total = 4 + 4 + 4 + len(raw_headers) + len(payload) + 4
    prelude = total.to_bytes(4, "big") + len(raw_headers).to_bytes(4, "big")
    prelude += zlib.crc32(prelude).to_bytes(4, "big")
    message = prelude + raw_headers + payload
    return message + zlib.crc32(message).to_bytes(4, "big")


def reference_headers_length(headers: dict[str, Any]) -> int:
    """Bytes of a headers section: name length, name, type, then the value's own size."""
    size = 0
    for name, value in headers.items():
        size += 1 + len(name.encode()) + 1
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            size += 4
        else:
            size += 2 + len(value.encode() if isinstance(value, str) else value)
    return size


def botocore_decode(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


names = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=20
)
values = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
)


@settings(max_examples=60, deadline=None)
@given(headers=st.dictionaries(names, values, max_size=6), payload=st.binary(max_size=300))
def test_botocore_decodes_every_frame_byte_for_byte(
    headers: dict[str, Any], payload: bytes
) -> None:
    frame = encode_message(headers, payload)
    (message,) = botocore_decode(frame)
    assert message.headers == headers
    assert message.payload == payload
    assert message.prelude.total_length == len(frame)
    assert message.prelude.headers_length == reference_headers_length(headers)
    assert len(frame) == 12 + reference_headers_length(headers) + len(payload) + 4
    assert message.prelude.crc == zlib.crc32(frame[:8])
    assert message.crc == zlib.crc32(frame[:-4])
    mine, used = decode_message(frame)
    assert used == len(frame) and mine.headers == headers and mine.payload == payload


@settings(max_examples=40, deadline=None)
@given(
    headers=st.dictionaries(names, st.text(max_size=60), max_size=5),
    payload=st.binary(max_size=200),
)
def test_string_header_frames_equal_the_reference_encoder(
    headers: dict[str, str], payload: bytes
) -> None:
    assert encode_message(headers, payload) == reference_frame(headers, payload)


def test_events_carry_bedrock_headers_and_json_payloads() -> None:
    payload = {"delta": {"text": "héllo"}, "contentBlockIndex": 0}
    frame = encode_event("contentBlockDelta", payload)
    (message,) = botocore_decode(frame)
    assert message.headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(message.payload) == payload
    expected = reference_frame(
        {
            ":event-type": "contentBlockDelta",
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(),
    )
    assert frame == expected
    error = botocore_decode(encode_exception("modelStreamErrorException", "boom"))[0]
    assert error.headers[":message-type"] == "exception"
    assert error.headers[":exception-type"] == "modelStreamErrorException"
    assert json.loads(error.payload) == {"message": "boom"}


def test_several_frames_decode_in_order_from_one_buffer() -> None:
    frames = [encode_event(f"e{i}", {"i": i}) for i in range(5)]
    stream = b"".join(frames)
    decoded = botocore_decode(stream)
    assert [m.headers[":event-type"] for m in decoded] == [f"e{i}" for i in range(5)]
    assert [json.loads(m.payload) for m in decoded] == [{"i": i} for i in range(5)]
    assert [m.json() for m in iter_messages(stream)] == [{"i": i} for i in range(5)]


@pytest.mark.parametrize("where", ["prelude_crc", "header", "payload", "message_crc"])
def test_a_corrupted_frame_fails_its_crc_check(where: str) -> None:
    frame = bytearray(encode_event("messageStop", {"stopReason": "end_turn"}))
    headers_length = struct.unpack(">I", frame[4:8])[0]
    position = {
        "prelude_crc": 9,
        "header": 12 + 3,
        "payload": 12 + headers_length + 2,
        "message_crc": len(frame) - 1,
    }[where]
    frame[position] ^= 0x01
    with pytest.raises(ChecksumMismatch):
        botocore_decode(bytes(frame))
    with pytest.raises(EventStreamError, match="CRC32 mismatch"):
        decode_message(bytes(frame))


def test_the_encoder_rejects_values_the_format_cannot_hold() -> None:
    with pytest.raises(ValueError, match="1 to 255"):
        encode_message({"x" * 256: "v"}, b"")
    with pytest.raises(ValueError, match="exceeds"):
        encode_message({"h": "v" * 40_000}, b"")
    with pytest.raises(ValueError, match="int32"):
        encode_message({"h": 2**31}, b"")
