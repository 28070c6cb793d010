#include "websocket.h"

#include <cstring>

namespace astra::http::ws {

namespace {

inline uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

void sha1_block(uint32_t h[5], const uint8_t* p) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
        w[i] = (static_cast<uint32_t>(p[4 * i]) << 24) | (static_cast<uint32_t>(p[4 * i + 1]) << 16) |
               (static_cast<uint32_t>(p[4 * i + 2]) << 8) | static_cast<uint32_t>(p[4 * i + 3]);
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

bool valid_close_code(uint16_t code) {
    // RFC 6455 7.4: 1000-1003, 1007-1011 (and the registered 1012-1014) or the 3000-4999 range.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

}  // namespace

void sha1(const void* data, size_t len, uint8_t out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t* p = static_cast<const uint8_t*>(data);
    size_t full = len / 64;
    for (size_t i = 0; i < full; ++i) sha1_block(h, p + 64 * i);
    uint8_t tail[128] = {0};
    size_t rest = len - full * 64;
    std::memcpy(tail, p + full * 64, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = static_cast<uint64_t>(len) * 8;
    for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
    for (size_t off = 0; off < tail_len; off += 64) sha1_block(h, tail + off);
    for (int i = 0; i < 5; ++i) {
        out[4 * i] = static_cast<uint8_t>(h[i] >> 24);
        out[4 * i + 1] = static_cast<uint8_t>(h[i] >> 16);
        out[4 * i + 2] = static_cast<uint8_t>(h[i] >> 8);
        out[4 * i + 3] = static_cast<uint8_t>(h[i]);
    }
}

std::string base64_encode(const uint8_t* data, size_t len) {
    std::string out;
    out.reserve((len + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (static_cast<uint32_t>(data[i]) << 16) | (static_cast<uint32_t>(data[i + 1]) << 8) | data[i + 2];
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += kB64[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = static_cast<uint32_t>(data[i]) << 16;
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += "==";
    } else if (len - i == 2) {
        uint32_t v = (static_cast<uint32_t>(data[i]) << 16) | (static_cast<uint32_t>(data[i + 1]) << 8);
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool valid_client_key(std::string_view key) {
    // 16 bytes -> 22 characters and "==".
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    for (size_t i = 0; i < 22; ++i)
        if (b64_value(key[i]) < 0) return false;
    return (b64_value(key[21]) & 0x0f) == 0;  // the unused low bits of the last character are zero
}

std::string accept_key(std::string_view client_key) {
    static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string joined(client_key);
    joined.append(kGuid);
    uint8_t digest[20];
    sha1(joined.data(), joined.size(), digest);
    return base64_encode(digest, sizeof digest);
}

bool valid_utf8(const char* data, size_t len) {
    const auto* s = reinterpret_cast<const unsigned char*>(data);
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;  // continuation byte, overlong lead (C0, C1) or beyond U+10FFFF (F5..FF)
        }
        for (size_t k = 1; k <= n; ++k) {
            if (i + k >= len) return false;
            unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false;  // overlong, range
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;                                         // surrogates
        i += n + 1;
    }
    return true;
}

void append_frame(std::string& out, uint8_t opcode, const char* data, size_t len) {
    out += static_cast<char>(0x80 | opcode);
    if (len < 126) {
        out += static_cast<char>(len);
    } else if (len <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>(len >> 8);
        out += static_cast<char>(len & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<uint64_t>(len) >> (8 * i)) & 0xFF);
    }
    out.append(data, len);
}

void append_close(std::string& out, uint16_t code, std::string_view reason) {
    if (code == 0) {
        append_frame(out, kClose, "", 0);
        return;
    }
    if (reason.size() > 123) {
        size_t n = 123;
        while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;  // never split a character
        reason = reason.substr(0, n);
    }
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload.append(reason);
    append_frame(out, kClose, payload.data(), payload.size());
}

bool Session::fail(std::string& out, uint16_t code) {
    if (!close_sent_) {
        append_close(out, code, "");
        close_sent_ = true;
    }
    finish(code);
    buf_.clear();
    message_.clear();
    return false;
}

void Session::finish(uint16_t code) {
    if (finished_) return;
    finished_ = true;
    Message m;
    m.kind = kClose;
    m.code = code;
    inbox.push_back(std::move(m));
}

void Session::close(std::string& out, uint16_t code, std::string_view reason) {
    if (close_sent_) return;
    append_close(out, code, reason);
    close_sent_ = true;
}

bool Session::feed(const char* data, size_t len, std::string& out) {
    if (finished_ && close_sent_) return false;
    buf_.append(data, len);
    size_t pos = 0;
    bool keep = true;
    while (keep) {
        size_t avail = buf_.size() - pos;
        if (avail < 2) break;
        const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
        bool fin = (p[0] & 0x80) != 0;
        uint8_t opcode = p[0] & 0x0F;
        bool masked = (p[1] & 0x80) != 0;
        uint64_t plen = p[1] & 0x7F;
        size_t head = 2;
        if (p[0] & 0x70) return fail(out, kProtocolError);  // RSV bits: no extension was negotiated
        if (!masked) return fail(out, kProtocolError);      // 5.1: client frames are masked
        bool control = (opcode & 0x08) != 0;
        if (opcode != kCont && opcode != kText && opcode != kBinary && opcode != kClose && opcode != kPing &&
            opcode != kPong)
            return fail(out, kProtocolError);
        if (control && (!fin || plen > 125)) return fail(out, kProtocolError);  // 5.5
        if (plen == 126) {
            if (avail < 4) break;
            plen = (static_cast<uint64_t>(p[2]) << 8) | p[3];
            head = 4;
        } else if (plen == 127) {
            if (avail < 10) break;
            plen = 0;
            for (int i = 0; i < 8; ++i) plen = (plen << 8) | p[2 + i];
            if (plen >> 63) return fail(out, kProtocolError);
            head = 10;
        }
        if (!control) {
            if (opcode == kCont && message_op_ == 0) return fail(out, kProtocolError);  // nothing to continue
            if (opcode != kCont && message_op_ != 0) return fail(out, kProtocolError);  // 5.4: interleaved
            if (static_cast<uint64_t>(message_.size()) + plen > max_message_) return fail(out, kTooBig);
        }
        if (avail < head + 4 + plen) break;  // no reserve: a declared length costs nothing until sent
        const unsigned char* mask = p + head;
        char* payload = buf_.data() + pos + head + 4;
        size_t n = static_cast<size_t>(plen);
        for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
        pos += head + 4 + n;
        keep = frame(opcode, fin, std::string_view(payload, n), out);
        if (!keep) break;
    }
    if (!keep) {
        buf_.clear();
        return false;
    }
    buf_.erase(0, pos);
    return true;
}

bool Session::frame(uint8_t opcode, bool fin, std::string_view payload, std::string& out) {
    switch (opcode) {
        case kPing:
            if (!close_sent_) append_frame(out, kPong, payload.data(), payload.size());
            return true;
        case kPong:
            ping_outstanding = false;
            return true;
        case kClose: {
            uint16_t code = kNoStatus;
            std::string_view reason;
            if (payload.size() == 1) return fail(out, kProtocolError);
            if (payload.size() >= 2) {
                code = static_cast<uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                             static_cast<unsigned char>(payload[1]));
                if (!valid_close_code(code)) return fail(out, kProtocolError);
                reason = payload.substr(2);
                if (!valid_utf8(reason.data(), reason.size())) return fail(out, kInvalidData);
            }
            close_received_ = true;
            if (!close_sent_) {
                // Echo the code (RFC 6455 5.5.1); the reason is not repeated.
                append_close(out, code == kNoStatus ? 0 : code, "");
                close_sent_ = true;
            }
            if (!finished_) {
                finished_ = true;
                Message m;
                m.kind = kClose;
                m.code = code;
                m.data.assign(reason);
                inbox.push_back(std::move(m));
            }
            return false;  // the handshake is complete: close the TCP connection
        }
        default:
            break;
    }
    if (close_sent_) return true;  // closing: data frames are ignored until the client's close
    if (opcode != kCont) message_op_ = opcode;
    message_.append(payload.data(), payload.size());
    if (!fin) return true;
    if (message_op_ == kText && !valid_utf8(message_.data(), message_.size())) return fail(out, kInvalidData);
    Message m;
    m.kind = message_op_;
    m.data.swap(message_);
    message_.clear();
    message_op_ = 0;
    inbox_bytes += m.data.size();
    inbox.push_back(std::move(m));
    return true;
}

}  // namespace astra::http::ws
