"""The constants Python and the native runtime share: the one source of both sides.

Pure data, no imports (the declaration path may read it: docs/internals.md "Import cost").
At build time cmake/gen_contract.py writes these values into a C++ header
(build/.../generated/astraapi_contract.h, namespace astra::contract) that the runtime's
sources use; the public header runtime_cpp/include/astraapi/trie.h keeps its own enums (compiled
app modules build against it alone) and the runtime checks them against these with
static_assert. The built module reports what it was compiled with as `_runtime.CONTRACT`;
tests/native/test_runtime_contract.py fails when any side disagrees.
Edit here, then rebuild (scripts/setup.sh).
"""

# Route ids the server hands the Python handler for requests no route answers
# (http/server.h; engine/executor.py).
NOT_FOUND_ROUTE = 0xFFFFFFFF  # no route matched (Server.route_unmatched)
METHOD_NOT_ALLOWED_ROUTE = 0xFFFFFFFE  # a route's path matched, not its method (path_params: (allow,))
REDIRECT_ROUTE = 0xFFFFFFFD  # a trailing-slash redirect (Server.route_redirects; path_params: (location,))

# The direct call (engine/direct.py; bindings/direct_call.h): how the server renders the
# endpoint's return value, and what the compiled decoder reads.
RENDER_PYTHON = 0  # always `finish`
RENDER_DEFAULT_JSON = 1  # dumps(value, jsonable=True) with the default JSON headers
RENDER_ENCODER = 2  # the compiled encoder (module.encode), the default JSON headers
DECODE_NONE = 0
DECODE_QUERY_PATH = 1
DECODE_WITH_BODY = 2  # query, path parameters, the body and the headers
DECODE_WITH_HEADERS = 3  # query, path parameters and the headers (header and cookie parameters)

# Route trie tables (ir/trie.py; include/astraapi/trie.h): path parameter kinds
# (Starlette's convertors) and method bits.
PARAM_KINDS = {"str": 0, "int": 1, "float": 2, "uuid": 3, "path": 4}
METHOD_BITS = {
    "GET": 1 << 0,
    "HEAD": 1 << 1,
    "POST": 1 << 2,
    "PUT": 1 << 3,
    "DELETE": 1 << 4,
    "PATCH": 1 << 5,
    "OPTIONS": 1 << 6,
    "TRACE": 1 << 7,
    "CONNECT": 1 << 8,
    "WEBSOCKET": 1 << 9,  # the pseudo-method of a WebSocket route (APIWebSocketRoute)
}
# Any other method (an extension method: QUERY, PROPFIND, ...): a route declaring one has this bit, and a
# request with one matches that route only when the route's Allow value names it (router.cpp).
EXTENSION_METHOD = 1 << 10
ANY_METHOD = 1 << 30  # a mount: every method, including ones without a bit
LOW_PRIORITY = 1 << 31  # a frontend route: matched only when nothing else matched

# The native server's option defaults (http/server.h ServerOptions; _runtime.Server's keyword
# defaults; server/config.py's ServerConfig, which differs only where its comments say).
# Times in seconds.
SERVER_DEFAULTS = {
    "backlog": 1024,
    "server_header": "astraapi",
    "max_header_size": 64 * 1024,
    "max_header_count": 100,
    "max_body_size": 16 * 1024 * 1024,
    "max_chunk_ext_size": 16 * 1024,
    "idle_timeout": 5.0,
    "header_timeout": 10.0,
    "body_timeout": 30.0,
    "max_connections": 10000,
    "access_log": False,
    "proxy_headers": False,
    "forwarded_allow_ips": "127.0.0.1",
    "ws_max_size": 16 * 1024 * 1024,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
    "body_min_rate": 0,
    "body_min_rate_grace": 5.0,
    "gzip": False,
    "gzip_min_size": 500,
    "gzip_level": 6,
}
