// The server core's private part, shared by its compilation units (server.cpp: construction, the
// event loop and timeouts; http1_parser.cpp; response_writer.cpp; streams.cpp; proxy_headers.cpp;
// gzip_negotiation.cpp; server_websocket.cpp): the per-connection state Server::Conn, the
// buffer sizes and limits, and the small text helpers. Not included outside runtime_cpp/src/http.
#pragma once

#include <llhttp.h>
#include <time.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../codec/gzip.h"
#include "server.h"

namespace astra::http {

namespace detail {

inline constexpr size_t kReadBufSize = 128 * 1024;
inline constexpr size_t kOutHighWater = 256 * 1024;     // stop parsing pipelined requests above this
inline constexpr size_t kDirectWriteBody = 64 * 1024;   // bodies at least this big are written with writev
inline constexpr size_t kKeepBufferCapacity = 256 * 1024;
inline constexpr size_t kPoolMax = 128;
inline constexpr size_t kPooledBufferMax = 1024 * 1024;
inline constexpr uint64_t kLingerMs = 2000;
inline constexpr int kEventBatch = 256;
inline constexpr size_t kStreamHighWater = 256 * 1024;  // stream_send asks the producer to wait above this
inline constexpr size_t kStreamLowWater = 64 * 1024;    // ... and wakes it once the buffer drained below this
inline constexpr size_t kWsInboxHigh = 1024 * 1024;     // WebSocket: stop reading while this much waits unread
inline constexpr uint64_t kWsCloseTimeoutMs = 5000;      // WebSocket: wait this long for the client's close frame

inline uint64_t monotonic_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // vDSO, a few ms resolution
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

inline uint32_t method_bit(uint8_t m) {
    switch (m) {
        case HTTP_GET: return ASTRA_M_GET;
        case HTTP_HEAD: return ASTRA_M_HEAD;
        case HTTP_POST: return ASTRA_M_POST;
        case HTTP_PUT: return ASTRA_M_PUT;
        case HTTP_DELETE: return ASTRA_M_DELETE;
        case HTTP_PATCH: return ASTRA_M_PATCH;
        case HTTP_OPTIONS: return ASTRA_M_OPTIONS;
        case HTTP_TRACE: return ASTRA_M_TRACE;
        case HTTP_CONNECT: return ASTRA_M_CONNECT;
        default: return ASTRA_M_OTHER;  // another method llhttp knows (QUERY, PROPFIND, ...)
    }
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A Connection header value that lists the "close" option (comma-separated, any case).
inline bool lists_close(std::string_view value) {
    size_t start = 0;
    while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        if (iequals(trim_ows(value.substr(start, comma - start)), "close")) return true;
        start = comma + 1;
    }
    return false;
}

// uvicorn's HEADER_RE: b'[\x00-\x1f\x7f()<>@,;:\[\]={} \t\\"]'
inline bool bad_name_char(unsigned char c) {
    if (c <= 0x1f || c == 0x7f) return true;
    switch (c) {
        case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '[': case ']':
        case '=': case '{': case '}': case ' ': case '\t': case '\\': case '"':
            return true;
        default:
            return false;
    }
}

// uvicorn's HEADER_VALUE_RE: b"[\x00-\x08\x0a-\x1f\x7f]"
inline bool bad_value_char(unsigned char c) { return (c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f; }

// What is wrong with a header the application gave (a name or value that would break the head's
// framing), or nullptr: the one check of the head writer and the gzip hold.
inline const char* bad_response_header(const ResponseHeader& h) {
    for (size_t k = 0; k < h.name_len; ++k)
        if (bad_name_char(static_cast<unsigned char>(h.name[k]))) return "Invalid HTTP header name.";
    for (size_t k = 0; k < h.value_len; ++k)
        if (bad_value_char(static_cast<unsigned char>(h.value[k]))) return "Invalid HTTP header value.";
    return nullptr;
}

inline void append_uint(std::string& out, uint64_t v) {
    char buf[24];
    char* p = buf + sizeof buf;
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

inline void append_hex(std::string& out, uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    char buf[24];
    char* p = buf + sizeof buf;
    do {
        *--p = digits[v & 15];
        v >>= 4;
    } while (v);
    out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

}  // namespace detail


struct Server::Conn {
    enum class St : uint8_t { Free, Open, Lingering };

    Server* srv = nullptr;
    int fd = -1;
    uint32_t slot = 0;
    uint32_t gen = 0;
    St st = St::Free;
    llhttp_t parser;
    std::unique_ptr<RequestData> req;
    // parsing
    bool headers_done = false;
    bool message_done = false;
    bool in_field = false;
    bool upgrade = false;
    bool in_message = false;  // a request's first byte was parsed, its end not yet
    int error_status = 0;
    size_t header_bytes = 0;
    size_t chunk_ext_bytes = 0;
    uint64_t message_begin = 0;  // now_ at the request's first byte (header timeout)
    uint64_t body_begin = 0;     // now_ at the end of the headers (body minimum rate)
    // flow
    bool readable = false;
    bool writable = false;
    bool rdhup = false;
    bool peer_eof = false;
    bool awaiting = false;
    bool in_drive = false;
    bool close_after_flush = false;
    // the response in flight
    bool resp_keep_alive = true;
    bool resp_head = false;
    bool resp_http10 = false;
    // a streamed answer in flight (start_stream .. end_stream)
    bool streaming = false;
    bool stream_chunked = false;
    bool stream_length = false;
    bool stream_body = false;  // false for HEAD, 204, 304: pieces are dropped
    bool stream_wait = false;  // stream_send returned 0: notify once drained
    uint64_t stream_remaining = 0;
    std::unique_ptr<FileBody> file;  // a file body being sent after `out` (stream_send_file)
    std::unique_ptr<ws::Session> ws;  // set once a WebSocket upgrade was accepted
    // native gzip (ServerOptions::gzip)
    uint8_t gz_accept = 0;   // gzip_negotiate() for the request in flight
    bool gz_hold = false;    // a stream's head held until its first piece (or its end) decides
    int gz_status = 0;
    std::string gz_held;     // the held head: names and values, back to back
    std::vector<uint32_t> gz_held_lens;  // name length, value length, ...
    std::unique_ptr<codec::GzipStream> gz_stream;  // a compressed stream in flight
    std::string in;
    size_t in_off = 0;
    std::string out;
    size_t out_off = 0;
    uint64_t last_active = 0;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;

    size_t out_pending() const { return out.size() - out_off; }
};

// The answer's framing, as the one head writer (Server::write_head) decided it.
struct Server::HeadFraming {
    bool length = false;   // a content-length header (content_length)
    bool chunked = false;  // transfer-encoding: chunked (given by the application or added)
    uint64_t content_length = 0;
};

// llhttp's callbacks (http1_parser.cpp).
const llhttp_settings_t* http1_parser_settings();

}  // namespace astra::http
