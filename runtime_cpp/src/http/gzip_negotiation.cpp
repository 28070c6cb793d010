// Native gzip of responses (ServerOptions::gzip, docs/http-hardening.md "gzip"): Accept-Encoding
// negotiation, which answers are eligible, the header rewriting, a whole body compressed at
// once (libdeflate) and a stream's head held until its first piece decides (zlib, codec/gzip.h).
#include "gzip_negotiation.h"

#include <algorithm>

#include "connection.h"

namespace astra::http {

using namespace detail;

// ---- native gzip ---------------------------------------------------------------------------------
// ServerOptions::gzip. Negotiation (RFC 9110 12.5.3): codings are case-insensitive, `x-gzip` is
// gzip (8.4.1.3), `q=0` refuses, `*` stands for every coding not listed, identity is acceptable
// unless refused (`identity;q=0`, or `*;q=0` without identity). A response is eligible when its
// status may carry a body and is not 206, it has no content-encoding yet, and its media type is
// not excluded (gzip_excluded_type). Eligible responses get `vary: Accept-Encoding` (merged into an
// existing vary), whether the client takes gzip or not; a body of at least gzip_min_size bytes (any
// size when identity is refused) is compressed for a client that takes gzip. A stream is decided by
// its first piece, as Starlette's GZipMiddleware does: a first piece compresses the whole stream
// (chunked, no content-length, each piece flushed), an end without pieces passes the head unchanged.

namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 when malformed.
int parse_qvalue(std::string_view v) {
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return -1;
    int q = (v[0] - '0') * 1000;
    if (v.size() == 1) return q;
    if (v[1] != '.') return -1;
    int scale = 100;
    for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') return -1;
        q += (v[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

}  // namespace

int gzip_negotiate(std::string_view header) {
    int q_gzip = -1, q_identity = -1, q_star = -1;  // -1: not listed
    size_t start = 0;
    while (start <= header.size()) {
        size_t comma = header.find(',', start);
        if (comma == std::string_view::npos) comma = header.size();
        std::string_view item = trim_ows(header.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) continue;
        size_t semi = item.find(';');
        std::string_view coding = trim_ows(item.substr(0, semi));
        int q = 1000;
        while (semi != std::string_view::npos) {  // parameters: only q counts
            size_t next = item.find(';', semi + 1);
            std::string_view param = trim_ows(item.substr(semi + 1, next == std::string_view::npos ? item.npos : next - semi - 1));
            size_t eq = param.find('=');
            if (eq != std::string_view::npos && iequals(trim_ows(param.substr(0, eq)), "q"))
                q = parse_qvalue(trim_ows(param.substr(eq + 1)));
            semi = next;
        }
        if (q < 0) continue;  // a malformed weight: the element is ignored
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) q_gzip = std::max(q_gzip, q);
        else if (iequals(coding, "identity")) q_identity = std::max(q_identity, q);
        else if (coding == "*") q_star = std::max(q_star, q);
    }
    int gzip = q_gzip >= 0 ? q_gzip : (q_star >= 0 ? q_star : 0);
    bool identity_refused = q_identity == 0 || (q_identity < 0 && q_star == 0);
    if (gzip <= 0) return 0;
    if (q_identity > gzip) return 0;  // the client prefers the body as it is
    return identity_refused ? 2 : 1;
}

bool gzip_excluded_type(std::string_view content_type) {
    std::string_view media = trim_ows(content_type.substr(0, content_type.find(';')));
    std::string lower(media);
    for (char& ch : lower) ch = ascii_lower(ch);
    std::string_view m(lower);
    if (m.substr(0, 6) == "image/")
        return !(m == "image/svg+xml" || m == "image/x-icon" || m == "image/vnd.microsoft.icon" || m == "image/bmp");
    if (m.substr(0, 6) == "video/" || m.substr(0, 6) == "audio/") return true;
    if (m.substr(0, 17) == "application/grpc+") return true;
    static constexpr std::string_view kExcluded[] = {
        "text/event-stream", "font/woff", "font/woff2", "application/octet-stream", "application/grpc",
        "application/gzip", "application/x-gzip", "application/zip", "application/x-bzip2", "application/x-xz",
        "application/zstd", "application/x-7z-compressed", "application/x-rar-compressed", "application/vnd.rar",
        "application/x-brotli", "application/wasm-br"};
    for (std::string_view e : kExcluded)
        if (m == e) return true;
    return false;
}

bool Server::gzip_eligible(const Conn& c, int status, const ResponseHeader* headers, size_t header_count) const {
    (void)c;
    if (status < 200 || status == 204 || status == 206 || status == 304) return false;
    for (size_t i = 0; i < header_count; ++i) {
        std::string_view name(headers[i].name, headers[i].name_len);
        if (iequals(name, "content-encoding")) return false;
        if (iequals(name, "content-type") && gzip_excluded_type(std::string_view(headers[i].value, headers[i].value_len)))
            return false;
    }
    return true;
}

void Server::gzip_headers(const ResponseHeader* headers, size_t header_count, bool compressed, int length_mode,
                          size_t new_length) {
    // gz_headers_ := the handler's headers as Starlette's MutableHeaders would leave them: the
    // vary lines merged into the first one (or a vary line appended), the content-length kept
    // (length_mode 0), set in place to new_length (1) or dropped (2), content-encoding appended
    // when compressed. The strings live in gz_vary_ / gz_length_ until the next call.
    gz_vary_.clear();
    bool lists_accept_encoding = false, has_vary = false;
    for (size_t i = 0; i < header_count; ++i) {
        if (!iequals(std::string_view(headers[i].name, headers[i].name_len), "vary")) continue;
        std::string_view v(headers[i].value, headers[i].value_len);
        if (has_vary) gz_vary_ += ", ";
        has_vary = true;
        gz_vary_.append(v);
        size_t start = 0;
        while (start <= v.size()) {
            size_t comma = v.find(',', start);
            if (comma == std::string_view::npos) comma = v.size();
            std::string_view tok = trim_ows(v.substr(start, comma - start));
            if (tok == "*" || iequals(tok, "accept-encoding")) lists_accept_encoding = true;
            start = comma + 1;
        }
    }
    if (!lists_accept_encoding) gz_vary_ += has_vary ? ", Accept-Encoding" : "Accept-Encoding";
    gz_length_.clear();
    append_uint(gz_length_, new_length);
    const ResponseHeader length_line{"content-length", 14, gz_length_.data(), gz_length_.size()};
    const ResponseHeader vary_line{"vary", 4, gz_vary_.data(), gz_vary_.size()};
    gz_headers_.clear();
    bool vary_placed = false, length_placed = false;
    for (size_t i = 0; i < header_count; ++i) {
        std::string_view name(headers[i].name, headers[i].name_len);
        if (iequals(name, "vary")) {
            if (!vary_placed) gz_headers_.push_back(vary_line);
            vary_placed = true;
        } else if (length_mode && iequals(name, "content-length")) {
            if (length_mode == 1 && !length_placed) gz_headers_.push_back(length_line);
            length_placed = true;
        } else {
            gz_headers_.push_back(headers[i]);
        }
    }
    if (length_mode == 1 && !length_placed) gz_headers_.push_back(length_line);
    if (!vary_placed) gz_headers_.push_back(vary_line);
    if (compressed) gz_headers_.push_back({"content-encoding", 16, "gzip", 4});
}

RespondResult Server::gzip_release_head(Conn& c, ConnId id, bool first_piece, std::string* error) {
    std::vector<ResponseHeader> held;
    held.reserve(c.gz_held_lens.size() / 2);
    const char* p = c.gz_held.data();
    for (size_t i = 0; i + 1 < c.gz_held_lens.size(); i += 2) {
        size_t nl = c.gz_held_lens[i], vl = c.gz_held_lens[i + 1];
        held.push_back({p, nl, p + nl, vl});
        p += nl + vl;
    }
    c.gz_hold = false;
    c.streaming = false;
    const ResponseHeader* hs = held.data();
    size_t hn = held.size();
    // An HTTP/1.0 client cannot take chunked framing: its stream keeps its own framing, uncompressed.
    bool compress = first_piece && c.gz_accept != 0 && !c.resp_http10;
    if (first_piece) {
        gzip_headers(hs, hn, compress, compress ? 2 : 0, 0);
        hs = gz_headers_.data();
        hn = gz_headers_.size();
    }
    if (compress) c.gz_stream = std::make_unique<codec::GzipStream>(opt_.gzip_level);
    RespondResult r = start_stream_now(c, id, c.gz_status, hs, hn, error, nullptr);
    if (r != RespondResult::Ok) c.gz_stream.reset();
    return r;
}

// The request's Accept-Encoding (its lines joined with ","), negotiated once at dispatch.
void Server::gzip_negotiate_request(Conn& c) {
    const RequestData& r = *c.req;
    c.gz_accept = 0;
    const HeaderSpan* first = nullptr;
    std::string joined;  // only for a repeated header
    for (const HeaderSpan& h : r.headers) {
        if (r.header_name(h) != "accept-encoding") continue;
        if (first) {
            if (joined.empty()) joined.assign(r.header_value(*first));
            joined += ',';
            joined.append(r.header_value(h));
        }
        if (!first) first = &h;
    }
    if (first) c.gz_accept = static_cast<uint8_t>(gzip_negotiate(joined.empty() ? r.header_value(*first) : joined));
}

// A whole answer (respond): when gzip applies, the same answer with a compressed body (for a
// client that takes gzip) and rewritten headers (vary; content-length; content-encoding), put
// in place of the handler's through the references; otherwise nothing changes.
void Server::gzip_whole_body(Conn& c, int status, const ResponseHeader*& headers, size_t& header_count,
                             bool& default_json, const char*& body, size_t& body_len) {
    // The default JSON head is Starlette's JSONResponse's: content-length, then content-type.
    static const ResponseHeader kJson[] = {{"content-length", 14, "", 0}, {"content-type", 12, "application/json", 16}};
    const ResponseHeader* hs = default_json ? kJson : headers;
    size_t hn = default_json ? 2 : header_count;
    if (gzip_eligible(c, status, hs, hn) &&
        (body_len >= opt_.gzip_min_size || (c.gz_accept == 2 && body_len > 0))) {
        bool length_ok = true;  // a wrong content-length stays the handler's error (respond reports it)
        for (size_t i = default_json ? hn : 0; i < hn && length_ok; ++i) {
            std::string_view n(hs[i].name, hs[i].name_len);
            if (iequals(n, "content-length")) {
                std::string_view v = trim_ows(std::string_view(hs[i].value, hs[i].value_len));
                uint64_t x = 0;
                bool digits = !v.empty() && v.size() <= 18;
                for (char ch : v) {
                    digits = digits && ch >= '0' && ch <= '9';
                    x = x * 10 + static_cast<uint64_t>(ch - '0');
                }
                length_ok = digits && x == body_len;
            }
        }
        if (length_ok) {
            bool compress = c.gz_accept != 0;
            if (compress) {
                const int level = codec::libdeflate_level_for_zlib(opt_.gzip_level);  // zlib's scale
                gz_body_.clear();
                codec::gzip_compress_append(body, body_len, level, gz_body_);
                body = gz_body_.data();
                body_len = gz_body_.size();
            }
            gzip_headers(hs, hn, compress, 1, body_len);
            headers = gz_headers_.data();
            header_count = gz_headers_.size();
            default_json = false;
        }
    }
}

}  // namespace astra::http
