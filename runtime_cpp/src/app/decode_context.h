// The request-decoding context generated decoders fill (astraapi/abi.h: astra_decode_ctx),
// and the services they call on it.
#pragma once

#include <Python.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astraapi/abi.h"

struct yyjson_doc;

struct astra_decode_ctx {
    astra_decode_ctx() = default;
    astra_decode_ctx(const astra_decode_ctx&) = delete;
    astra_decode_ctx& operator=(const astra_decode_ctx&) = delete;
    ~astra_decode_ctx();

    std::string_view query;  // the raw query string (bytes after '?')
    // The request body and whether its content-type is JSON (body decoders only).
    std::string_view body;
    bool json_content_type = false;
    bool body_parsed = false;
    yyjson_doc* doc = nullptr;  // the parsed body, owned
    bool parsed = false;
    bool undecodable = false;  // a pair we cannot decode exactly as Starlette does
    std::vector<std::pair<std::string_view, std::string_view>> pairs;  // decoded, in order
    std::string query_text;  // the decoded names and values `pairs` views when they had escapes
    PyObject* kwargs = nullptr;  // borrowed from the caller
    // The request's headers, a list of (bytes, bytes) with lower-case names, borrowed from the
    // caller (header and cookie parameters); nullptr when not given.
    PyObject* headers = nullptr;
    bool cookies_parsed = false;
    bool cookies_undecodable = false;
    std::vector<std::pair<std::string_view, std::string_view>> cookies;  // views into `headers`
};

namespace astra::decode {

int query_last(astra_decode_ctx* ctx, const char* key, size_t key_len, astra_str* value);
int kw_int(astra_decode_ctx* ctx, astra_obj name, int64_t value);
int kw_float(astra_decode_ctx* ctx, astra_obj name, double value);
int kw_str(astra_decode_ctx* ctx, astra_obj name, const char* utf8, size_t len);
int kw_bool(astra_decode_ctx* ctx, astra_obj name, int value);
int parse_float(const char* text, size_t len, double* out);
int param_values(astra_decode_ctx* ctx, int location, const char* key, size_t key_len, astra_str* out, size_t max);

// http.cookies-free reading of a cookie header as Starlette's parse_cookie_header does it, for
// ASCII headers whose values are not quoted ("a"): false for anything else.
bool parse_cookies(std::string_view header, std::vector<std::pair<std::string_view, std::string_view>>& out);

// FastAPI's test for a JSON body (application/json or application/<x>+json), for
// content-type values it can decide exactly; false sends the request to the generic path.
bool is_json_content_type(std::string_view value);

// The body services of astra_services (body_decode.cpp).
const astra_jin* body_json(astra_decode_ctx* ctx);
int jin_kind(const astra_jin* v);
int64_t jin_int(const astra_jin* v);
double jin_real(const astra_jin* v);
astra_str jin_str(const astra_jin* v);
size_t jin_len(const astra_jin* v);
const astra_jin* jin_first(const astra_jin* v);
const astra_jin* jin_next(const astra_jin* v);
astra_obj jin_to_py(const astra_jin* v);
astra_obj py_int(int64_t value);
astra_obj py_float(double value);
astra_obj py_str(const char* utf8, size_t len);
astra_obj py_const(int which);
astra_obj py_list(size_t len);
int py_list_set(astra_obj list, size_t index, astra_obj item);
astra_obj py_dict();
int py_dict_set(astra_obj dict, astra_obj key, astra_obj value);
int py_dict_set_str(astra_obj dict, const char* utf8, size_t len, astra_obj value);
astra_obj py_set();
int py_set_add(astra_obj set, astra_obj key);
void release(astra_obj value);
astra_obj field_default(astra_obj model_class, astra_obj field_name);
astra_obj model_new(astra_obj model_class, astra_obj values, astra_obj fields_set);
int kw_obj(astra_decode_ctx* ctx, astra_obj name, astra_obj value);

// parse_qsl(query.decode("latin-1"), keep_blank_values=True) for queries that are ASCII
// and whose percent-escapes decode to valid UTF-8; false for anything else.
bool parse_query(std::string_view query, std::vector<std::pair<std::string_view, std::string_view>>& pairs,
                 std::string& storage);

}  // namespace astra::decode
