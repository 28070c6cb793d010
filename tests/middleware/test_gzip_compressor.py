"""GZipMiddleware's rules for the default JSON head (headers None, the common endpoint answer) take
a shortcut in Compressor.apply; it must give what the general rules give for the same head written
out (content-length, content-type: application/json), with each setting that changes the answer.
The served answers are compared with FastAPI's in tests/api/test_gzip_middleware.py."""

import gzip

import pytest

from astraapi import _runtime
from astraapi.ir.nodes import GzipIR
from astraapi.server.compression import Compressor


def compressor(exclude: tuple[str, ...] = (), minimum_size: int = 100) -> Compressor:
    settings = GzipIR(minimum_size, 9, exclude)
    return Compressor(settings, _runtime.gzip_compress, _runtime.gzip_level_for_zlib(9))


@pytest.mark.parametrize("exclude", [(), ("application/json",), ("application/*",), ("text/html",)])
@pytest.mark.parametrize("status", [200, 201, 206, 404])
@pytest.mark.parametrize("accepts", [True, False])
@pytest.mark.parametrize("size", [10, 5000])
def test_default_json_head_as_written_out(exclude, status, accepts, size):
    c = compressor(exclude)
    body = b'{"a":"' + b"x" * size + b'"}'
    written_out = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    short = c.apply(status, None, body, accepts)
    general = c.apply(status, written_out, body, accepts)
    assert short == general if size > 100 else short == (status, None, body)


def test_default_json_head_compressed():
    body = b'{"rows":[' + b",".join(b'{"id":%d}' % i for i in range(300)) + b"]}"
    status, headers, out = compressor().apply(200, None, body, True)
    assert gzip.decompress(out) == body and out == _runtime.gzip_compress(body, _runtime.gzip_level_for_zlib(9))
    assert headers == [(b"content-length", str(len(out)).encode()), (b"content-type", b"application/json"),
                       (b"vary", b"Accept-Encoding"), (b"content-encoding", b"gzip")]
