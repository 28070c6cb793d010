#include "url.h"

#include <cstring>

namespace astra::http {

namespace {
inline int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool split_target(std::string_view t, TargetParts& out) {
    size_t start = 0;
    if (t.empty()) return false;
    if (t[0] != '/') {
        // absolute-form: scheme "://" authority [path]
        size_t colon = t.find("://");
        if (colon == std::string_view::npos || colon == 0) return false;
        for (size_t i = 0; i < colon; ++i) {
            unsigned char c = static_cast<unsigned char>(t[i]);
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
            if (!ok) return false;
        }
        size_t auth = colon + 3;
        size_t slash = t.find_first_of("/?#", auth);
        if (slash == auth) return false;  // empty host
        if (slash == std::string_view::npos || t[slash] != '/') return false;
        start = slash;
    }
    size_t end = t.find_first_of("?#", start);
    if (end == std::string_view::npos) {
        out.path = t.substr(start);
        out.query = {};
        return true;
    }
    out.path = t.substr(start, end - start);
    if (t[end] == '?') {
        size_t hash = t.find('#', end + 1);
        out.query = t.substr(end + 1, hash == std::string_view::npos ? std::string_view::npos : hash - end - 1);
    } else {
        out.query = {};
    }
    return true;
}

bool percent_decode_append(std::string_view in, std::string& out) {
    const char* pct = static_cast<const char*>(std::memchr(in.data(), '%', in.size()));
    if (!pct) {
        out.append(in.data(), in.size());
        return false;
    }
    size_t i = static_cast<size_t>(pct - in.data());
    out.append(in.data(), i);
    bool decoded = false;
    while (i < in.size()) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = hexval(static_cast<unsigned char>(in[i + 1]));
            int lo = hexval(static_cast<unsigned char>(in[i + 2]));
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 3;
                decoded = true;
                continue;
            }
        }
        out.push_back(c);
        ++i;
    }
    return decoded;
}

void quote_append(std::string_view in, std::string_view safe, std::string& out) {
    static const char hex[] = "0123456789ABCDEF";
    for (char ch : in) {
        unsigned char c = static_cast<unsigned char>(ch);
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-' || c == '~' || (c < 0x80 && safe.find(ch) != std::string_view::npos);
        if (keep) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
}

void latin1_to_utf8_append(std::string_view in, std::string& out) {
    for (char ch : in) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
}

}  // namespace astra::http
