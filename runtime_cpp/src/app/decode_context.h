// The request-decoding context generated decoders fill (astraapi/abi.h: astra_decode_ctx),
// and the services they call on it.
#pragma once

#include <Python.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraapi/abi.h"

struct astra_decode_ctx {
    std::string_view query;  // the raw query string (bytes after '?')
    bool parsed = false;
    bool undecodable = false;  // a pair we cannot decode exactly as Starlette does
    std::vector<std::pair<std::string, std::string>> pairs;  // decoded, in order
    PyObject* kwargs = nullptr;  // borrowed from the caller
};

namespace astra::decode {

int query_last(astra_decode_ctx* ctx, const char* key, size_t key_len, astra_str* value);
int kw_int(astra_decode_ctx* ctx, astra_obj name, int64_t value);
int kw_float(astra_decode_ctx* ctx, astra_obj name, double value);
int kw_str(astra_decode_ctx* ctx, astra_obj name, const char* utf8, size_t len);
int kw_bool(astra_decode_ctx* ctx, astra_obj name, int value);
int parse_float(const char* text, size_t len, double* out);

// parse_qsl(query.decode("latin-1"), keep_blank_values=True) for queries that are ASCII
// and whose percent-escapes decode to valid UTF-8; false for anything else.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace astra::decode
