// Request-target helpers: split, percent-decode (urllib.parse.unquote, as uvicorn does) and
// quote (urllib.parse.quote with Starlette's RedirectResponse safe set).
#pragma once

#include <string>
#include <string_view>

namespace astra::http {

struct TargetParts {
    std::string_view path;   // raw, still percent-encoded
    std::string_view query;  // without '?', empty if none
};

// origin-form "/p?q#f" or absolute-form "http://host/p?q". False for anything else
// (authority-form, asterisk-form, empty path...), which uvicorn rejects with 400.
bool split_target(std::string_view target, TargetParts& out);

// Appends the percent-decoded bytes of `in` to `out` ("%zz" and truncated escapes stay as
// they are, like unquote). Returns true if anything was decoded.
bool percent_decode_append(std::string_view in, std::string& out);

// Appends `in` percent-encoded, keeping unreserved characters and `safe`.
// Starlette's RedirectResponse: safe=":/%#?=@[]!$&'()*+,;".
void quote_append(std::string_view in, std::string_view safe, std::string& out);

// Latin-1 bytes -> UTF-8 (Starlette decodes the Host header as latin-1 before quoting).
void latin1_to_utf8_append(std::string_view in, std::string& out);

}  // namespace astra::http
