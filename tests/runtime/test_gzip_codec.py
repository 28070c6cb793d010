"""The native gzip pieces on their own: Accept-Encoding negotiation (RFC 9110 12.5.3), the
excluded media types, and the zlib stream (each piece flushed, one gzip member)."""

import gzip
import zlib

import pytest

from astraapi import _runtime


@pytest.mark.parametrize("header, expected", [
    ("gzip", 1), ("GZIP", 1), ("x-gzip", 1), (" deflate ,gzip ", 1), ("gzip;q=1.000", 1), ("gzip;Q=0.001", 1),
    ("gzip;q=0", 0), ("gzip;q=0.0", 0), ("gzip ; q=0", 0), ("*", 1), ("*;q=0", 0), ("br, *;q=0.2", 1),
    ("gzip;q=0, *", 0), ("", 0), ("identity", 0), ("br", 0), ("gzip;q=1.1", 0), ("gzip;q=.5", 0),
    ("gzip;q=0.5, identity", 0), ("gzip, identity;q=0.5", 1), ("gzip;q=0.5, identity;q=0.5", 1),
    ("identity;q=0, gzip", 2), ("*;q=0, gzip", 2), ("gzip;level=1", 1), (",,gzip,,", 1),
])
def test_negotiation(header, expected):
    assert _runtime.gzip_negotiate(header) == expected


@pytest.mark.parametrize("content_type, excluded", [
    ("text/html; charset=utf-8", False), ("application/json", False), ("image/svg+xml", False),
    ("IMAGE/PNG", True), ("image/jpeg", True), ("video/mp4", True), ("audio/ogg", True), ("font/woff2", True),
    ("application/zip", True), ("application/gzip", True), ("application/x-gzip", True),
    ("application/octet-stream", True), ("text/event-stream", True), ("text/event-stream;charset=utf-8", True),
    ("application/grpc+proto", True), ("text/plain", False), ("", False),
])
def test_excluded_types(content_type, excluded):
    assert _runtime.gzip_excluded_type(content_type) is excluded


def test_stream_pieces_decode_as_they_come():
    z = _runtime.GzipStream(6)
    decoder = zlib.decompressobj(31)
    pieces = [b"first ", b"", b"second " * 1000, b"x" * 100_000]
    for piece in pieces:
        out = z.compress(piece)
        assert decoder.decompress(out) == piece  # flushed: everything sent so far decodes
    tail = z.finish()
    assert decoder.decompress(tail) == b"" and decoder.eof
    with pytest.raises(RuntimeError):
        z.compress(b"late")


def test_stream_is_one_gzip_member():
    z = _runtime.GzipStream(1)
    data = z.compress(b"a" * 5000) + z.compress(b"b") + z.finish()
    assert gzip.decompress(data) == b"a" * 5000 + b"b"
    with pytest.raises(ValueError):
        _runtime.GzipStream(10)
