#include "app/decode_context.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>

namespace astra::decode {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t extra;
        uint32_t code;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            code = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            code = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            code = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;
        for (size_t k = 1; k <= extra; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            code = (code << 6) | (d & 0x3F);
        }
        static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

// urllib.parse.unquote(text.replace("+", " ")) for ASCII text, appended to `storage` (whose
// capacity the caller reserved: it never reallocates, so earlier views stay valid); `out` views
// the result, or `text` itself when it has nothing to decode. False when the escapes do not
// decode to valid UTF-8 (Python would substitute U+FFFD: left to the generic path).
bool unquote_plus(std::string_view text, std::string& storage, std::string_view& out) {
    if (text.find_first_of("%+") == std::string_view::npos) {
        out = text;  // ASCII (checked by the caller): valid UTF-8 as it is
        return true;
    }
    const size_t start = storage.size();
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            storage.push_back(' ');
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            storage.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else {
            storage.push_back(c);
        }
    }
    out = std::string_view(storage.data() + start, storage.size() - start);
    return valid_utf8(out);
}

}  // namespace

bool parse_query(std::string_view query, std::vector<std::pair<std::string_view, std::string_view>>& pairs,
                 std::string& storage) {
    size_t fields = 1;
    bool escaped = false;
    for (const char c : query) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;  // Starlette reads raw bytes as latin-1
        fields += c == '&';
        escaped |= c == '%' || c == '+';
    }
    pairs.reserve(fields);
    storage.clear();
    if (escaped) storage.reserve(query.size());  // decoded text is never longer: no reallocation
    size_t start = 0;
    while (start <= query.size()) {
        size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        const std::string_view field = query.substr(start, end - start);
        if (!field.empty()) {
            const size_t eq = field.find('=');
            const std::string_view name = field.substr(0, eq);
            const std::string_view value = eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1);
            std::string_view decoded_name, decoded_value;
            if (!unquote_plus(name, storage, decoded_name) || !unquote_plus(value, storage, decoded_value)) {
                return false;
            }
            pairs.emplace_back(decoded_name, decoded_value);
        }
        start = end + 1;
    }
    return true;
}

int query_last(astra_decode_ctx* ctx, const char* key, size_t key_len, astra_str* value) {
    if (!ctx->parsed) {
        ctx->parsed = true;
        ctx->undecodable = !parse_query(ctx->query, ctx->pairs, ctx->query_text);
    }
    if (ctx->undecodable) return -1;
    const std::string_view wanted(key, key_len);
    for (auto it = ctx->pairs.rbegin(); it != ctx->pairs.rend(); ++it) {
        if (it->first == wanted) {
            value->data = it->second.data();
            value->len = it->second.size();
            return 1;
        }
    }
    return 0;
}

namespace {

int set_new(astra_decode_ctx* ctx, astra_obj name, PyObject* value) {
    if (!value) return -1;
    const int result = PyDict_SetItem(ctx->kwargs, reinterpret_cast<PyObject*>(name), value);
    Py_DECREF(value);
    return result;
}

}  // namespace

int kw_int(astra_decode_ctx* ctx, astra_obj name, int64_t value) {
    return set_new(ctx, name, PyLong_FromLongLong(value));
}

int kw_float(astra_decode_ctx* ctx, astra_obj name, double value) {
    return set_new(ctx, name, PyFloat_FromDouble(value));
}

int kw_str(astra_decode_ctx* ctx, astra_obj name, const char* utf8, size_t len) {
    return set_new(ctx, name, PyUnicode_DecodeUTF8(utf8, static_cast<Py_ssize_t>(len), nullptr));
}

int kw_bool(astra_decode_ctx* ctx, astra_obj name, int value) {
    PyObject* b = value ? Py_True : Py_False;
    Py_INCREF(b);
    return set_new(ctx, name, b);
}

namespace {

bool ascii(std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

// What str.strip() removes from ASCII text.
bool py_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

std::string_view py_strip(std::string_view s) {
    while (!s.empty() && py_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && py_space(s.back())) s.remove_suffix(1);
    return s;
}

// Each (name, value) header pair as bytes views; false when `headers` is not a list of byte pairs.
template <typename Fn>
bool each_header(PyObject* headers, Fn&& fn) {
    if (!headers || !PyList_Check(headers)) return false;
    const Py_ssize_t n = PyList_GET_SIZE(headers);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* pair = PyList_GET_ITEM(headers, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) return false;
        PyObject* name = PyTuple_GET_ITEM(pair, 0);
        PyObject* value = PyTuple_GET_ITEM(pair, 1);
        if (!PyBytes_Check(name) || !PyBytes_Check(value)) return false;
        if (!fn(std::string_view(PyBytes_AS_STRING(name), static_cast<size_t>(PyBytes_GET_SIZE(name))),
                std::string_view(PyBytes_AS_STRING(value), static_cast<size_t>(PyBytes_GET_SIZE(value))))) {
            break;
        }
    }
    return true;
}

}  // namespace

bool parse_cookies(std::string_view header, std::vector<std::pair<std::string_view, std::string_view>>& out) {
    size_t chunks = 1;
    for (const char c : header) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;  // latin-1: str.strip() also removes \x85, \xa0
        chunks += c == ';';
    }
    out.reserve(chunks);
    size_t start = 0;
    while (start <= header.size()) {
        size_t end = header.find(';', start);
        if (end == std::string_view::npos) end = header.size();
        const std::string_view chunk = header.substr(start, end - start);
        const size_t eq = chunk.find('=');
        std::string_view key, value;
        if (eq == std::string_view::npos) {
            value = chunk;
        } else {
            key = chunk.substr(0, eq);
            value = chunk.substr(eq + 1);
        }
        key = py_strip(key);
        value = py_strip(value);
        if (!key.empty() || !value.empty()) out.emplace_back(key, value);
        start = end + 1;
    }
    return true;
}

int param_values(astra_decode_ctx* ctx, int location, const char* key, size_t key_len, astra_str* out, size_t max) {
    const std::string_view wanted(key, key_len);
    size_t count = 0;
    auto add = [&](std::string_view value) {
        if (count < max) out[count] = astra_str{value.data(), value.size()};
        ++count;
    };
    if (location == ASTRA_PARAM_QUERY) {
        if (!ctx->parsed) {
            ctx->parsed = true;
            ctx->undecodable = !parse_query(ctx->query, ctx->pairs, ctx->query_text);
        }
        if (ctx->undecodable) return -1;
        for (const auto& [name, value] : ctx->pairs) {
            if (name == wanted) add(value);
        }
    } else if (location == ASTRA_PARAM_HEADER) {
        bool cannot = false;
        const bool ok = each_header(ctx->headers, [&](std::string_view name, std::string_view value) {
            if (name != wanted) return true;
            if (count < max && !ascii(value)) {
                cannot = true;  // latin-1 text: left to the generic path
                return false;
            }
            add(value);
            return true;
        });
        if (!ok || cannot) return -1;
    } else if (location == ASTRA_PARAM_COOKIE) {
        if (!ctx->cookies_parsed) {
            ctx->cookies_parsed = true;
            std::string_view header;
            bool found = false;
            ctx->cookies_undecodable = !each_header(ctx->headers, [&](std::string_view name, std::string_view value) {
                if (name != "cookie") return true;
                header = value;
                found = true;
                return false;  // the first cookie header, as the generic path reads it
            });
            if (!ctx->cookies_undecodable && found) {
                ctx->cookies_undecodable = !parse_cookies(header, ctx->cookies);
            }
        }
        if (ctx->cookies_undecodable) return -1;
        for (auto it = ctx->cookies.rbegin(); it != ctx->cookies.rend(); ++it) {
            if (it->first != wanted) continue;
            const std::string_view value = it->second;
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') return -1;  // http.cookies unquotes
            add(value);
            break;  // the last pair of that name wins
        }
    } else {
        return -1;
    }
    return count > static_cast<size_t>(INT32_MAX) ? -1 : static_cast<int>(count);
}

int parse_float(const char* text, size_t len, double* out) {
    double value = 0;
    const auto [end, error] = std::from_chars(text, text + len, value);
    if (error != std::errc() || end != text + len || !std::isfinite(value)) return -1;
    *out = value;
    return 0;
}

}  // namespace astra::decode
