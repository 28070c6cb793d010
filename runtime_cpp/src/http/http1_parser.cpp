// HTTP/1.x parsing: llhttp's callbacks fill a RequestData (bounded by the header, body and
// chunk-extension limits) and make the framing and Host checks llhttp leaves to us; the parser
// pauses at each message end, so one request is in flight per connection. HTTP/2 replaces this
// part (and keeps RequestData).
#include <cstring>

#include "connection.h"
#include "url.h"

namespace astra::http {

using namespace detail;

std::string_view RequestData::method_name() const {
    return llhttp_method_name(static_cast<llhttp_method_t>(method));
}

void RequestData::reset() {
    buf.clear();
    headers.clear();
    target_off = target_len = raw_path_off = raw_path_len = query_off = query_len = path_off = path_len = 0;
    body_off = body_len = 0;
    method = 0;
    http_major = http_minor = 1;
    keep_alive = true;
    peer_len = 0;
    forwarded_client = false;
    client_host.clear();
    client_port = 0;
    scheme = "http";
}

// ---- llhttp callbacks -------------------------------------------------------------------

struct ParserCallbacks {
    using Conn = Server::Conn;
    static Conn& C(llhttp_t* p) { return *static_cast<Conn*>(p->data); }

    static int fail(Conn& c, int status) {
        c.error_status = status;
        return -1;
    }
    static bool over_header_limit(Conn& c, size_t add) {
        c.header_bytes += add;
        return c.header_bytes > c.srv->opt_.max_header_size;
    }

    static int on_message_begin(llhttp_t* p) {
        Conn& c = C(p);
        if (!c.req) c.req = c.srv->acquire_request();
        c.req->reset();
        c.headers_done = c.message_done = c.in_field = c.upgrade = false;
        c.in_message = true;
        c.message_begin = c.srv->now_;
        c.header_bytes = 0;
        c.chunk_ext_bytes = 0;
        return 0;
    }
    static int on_url(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (over_header_limit(c, len)) return fail(c, 431);
        RequestData& r = *c.req;
        if (r.target_len == 0) r.target_off = static_cast<uint32_t>(r.buf.size());
        r.buf.append(at, len);
        r.target_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_header_field(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (c.headers_done) {  // trailers: not exposed, but bounded like headers
            if (over_header_limit(c, len + 4)) return fail(c, 431);
            return 0;
        }
        RequestData& r = *c.req;
        if (!c.in_field) {
            if (over_header_limit(c, 4)) return fail(c, 431);
            if (r.headers.size() >= c.srv->opt_.max_header_count) return fail(c, 431);
            r.headers.push_back(HeaderSpan{static_cast<uint32_t>(r.buf.size()), 0, 0, 0});
            c.in_field = true;
        }
        if (over_header_limit(c, len)) return fail(c, 431);
        r.buf.append(at, len);
        r.headers.back().name_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_header_field_complete(llhttp_t* p) {
        Conn& c = C(p);
        if (c.headers_done) return 0;
        RequestData& r = *c.req;
        c.in_field = false;
        if (r.headers.empty()) return 0;
        HeaderSpan& h = r.headers.back();
        char* name = r.buf.data() + h.name_off;
        for (uint32_t i = 0; i < h.name_len; ++i) name[i] = ascii_lower(name[i]);
        h.value_off = static_cast<uint32_t>(r.buf.size());
        h.value_len = 0;
        return 0;
    }
    static int on_header_value(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        if (c.headers_done) return over_header_limit(c, len) ? fail(c, 431) : 0;
        RequestData& r = *c.req;
        if (r.headers.empty()) return 0;
        if (over_header_limit(c, len)) return fail(c, 431);
        r.buf.append(at, len);
        r.headers.back().value_len += static_cast<uint32_t>(len);
        return 0;
    }
    static int on_headers_complete(llhttp_t* p) {
        Conn& c = C(p);
        Server& s = *c.srv;
        RequestData& r = *c.req;
        c.headers_done = true;
        r.method = static_cast<uint8_t>(p->method);
        r.http_major = p->http_major;
        r.http_minor = p->http_minor;
        r.keep_alive = llhttp_should_keep_alive(p) != 0;
        c.upgrade = p->upgrade != 0;

        TargetParts parts;
        if (!split_target(r.view(r.target_off, r.target_len), parts)) return fail(c, 400);
        for (char ch : parts.path)
            if (static_cast<unsigned char>(ch) >= 0x80) return fail(c, 400);  // uvicorn: ascii only
        r.raw_path_off = static_cast<uint32_t>(parts.path.data() - r.buf.data());
        r.raw_path_len = static_cast<uint32_t>(parts.path.size());
        r.query_off = parts.query.empty() ? 0 : static_cast<uint32_t>(parts.query.data() - r.buf.data());
        r.query_len = static_cast<uint32_t>(parts.query.size());
        if (std::memchr(parts.path.data(), '%', parts.path.size())) {
            r.buf.reserve(r.buf.size() + parts.path.size());  // decoding never grows: the view stays valid
            size_t off = r.buf.size();
            percent_decode_append(r.view(r.raw_path_off, r.raw_path_len), r.buf);
            r.path_off = static_cast<uint32_t>(off);
            r.path_len = static_cast<uint32_t>(r.buf.size() - off);
        } else {
            r.path_off = r.raw_path_off;
            r.path_len = r.raw_path_len;
        }

        if (r.http_major != 1) return fail(c, r.http_major == 0 ? 400 : 505);  // 0.9: not HTTP/1.x at all
        // Framing and Host checks llhttp leaves to us (RFC 9112 sections 3.2, 6.1, 6.3).
        size_t hosts = 0, te_headers = 0, te_chunked = 0, te_other = 0;
        bool te_bad = false;
        for (const HeaderSpan& h : r.headers) {
            std::string_view name = r.header_name(h);
            if (name == "host") {
                ++hosts;
            } else if (name == "transfer-encoding") {
                ++te_headers;
                std::string_view v = r.header_value(h);
                size_t start = 0;
                for (;;) {
                    size_t comma = v.find(',', start);
                    std::string_view tok = trim_ows(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
                    if (tok.empty()) te_bad = true;
                    else if (iequals(tok, "chunked")) ++te_chunked;
                    else {
                        if (te_chunked) te_bad = true;  // chunked must be the final coding
                        ++te_other;
                    }
                    if (comma == std::string_view::npos) break;
                    start = comma + 1;
                }
            }
        }
        if (hosts > 1 || (hosts == 0 && r.http_minor >= 1)) return fail(c, 400);
        if (te_headers) {
            if (r.http_minor == 0) return fail(c, 400);  // TE in HTTP/1.0: faulty framing
            if (te_bad || te_chunked != 1) return fail(c, 400);
            if (te_other) return fail(c, 501);  // e.g. "gzip, chunked": a coding we do not decode
        }

        bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
        bool chunked = (p->flags & F_CHUNKED) != 0;
        if (has_length && p->content_length > s.opt_.max_body_size) return fail(c, 413);
        if ((chunked || (has_length && p->content_length > 0)) && (r.http_major == 1 && r.http_minor >= 1)) {
            for (const HeaderSpan& h : r.headers) {
                if (r.header_name(h) == "expect" && iequals(trim_ows(r.header_value(h)), "100-continue")) {
                    c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
                    break;
                }
            }
        }
        if (has_length && p->content_length > 0) r.buf.reserve(r.buf.size() + p->content_length);
        c.body_begin = s.now_;
        r.body_off = r.buf.size();
        r.body_len = 0;
        return 0;
    }
    static int on_body(llhttp_t* p, const char* at, size_t len) {
        Conn& c = C(p);
        RequestData& r = *c.req;
        if (r.body_len + len > c.srv->opt_.max_body_size) return fail(c, 413);
        r.buf.append(at, len);
        r.body_len += len;
        return 0;
    }
    static int on_chunk_extension(llhttp_t* p, const char*, size_t len) {
        Conn& c = C(p);
        c.chunk_ext_bytes += len;
        return c.chunk_ext_bytes > c.srv->opt_.max_chunk_ext_size ? fail(c, 400) : 0;
    }
    static int on_message_complete(llhttp_t* p) {
        Conn& c = C(p);
        c.message_done = true;
        c.in_message = false;
        return HPE_PAUSED;  // one request at a time: resumed once it is answered
    }

    static const llhttp_settings_t* settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t x;
            llhttp_settings_init(&x);
            x.on_message_begin = on_message_begin;
            x.on_url = on_url;
            x.on_header_field = on_header_field;
            x.on_header_field_complete = on_header_field_complete;
            x.on_header_value = on_header_value;
            x.on_headers_complete = on_headers_complete;
            x.on_body = on_body;
            x.on_chunk_extension_name = on_chunk_extension;
            x.on_chunk_extension_value = on_chunk_extension;
            x.on_message_complete = on_message_complete;
            return x;
        }();
        return &s;
    }
};

const llhttp_settings_t* http1_parser_settings() { return ParserCallbacks::settings(); }

// ---- feeding the parser ------------------------------------------------------------------------

Server::Feed Server::feed(Conn& c, const char* data, size_t len, size_t& consumed) {
    c.message_done = false;
    llhttp_errno_t err = llhttp_execute(&c.parser, data, len);
    if (err == HPE_OK) {
        consumed = len;
        return Feed::NeedMore;
    }
    if ((err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && c.message_done) {
        const char* pos = llhttp_get_error_pos(&c.parser);
        consumed = (pos && pos >= data && pos <= data + len) ? static_cast<size_t>(pos - data) : len;
        if (err == HPE_PAUSED_UPGRADE) c.upgrade = true;
        return Feed::Ready;
    }
    consumed = len;
    if (!c.error_status) c.error_status = 400;
    return Feed::Error;
}

}  // namespace astra::http
