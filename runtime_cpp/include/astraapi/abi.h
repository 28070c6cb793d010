/* AstraAPI public header: the versioned ABI between the runtime and a generated app module.
 *
 * A generated app module is a shared library that includes only the headers in this folder
 * and exports one C symbol, ASTRA_MODULE_ENTRY_SYMBOL, returning its astra_app_module.
 * The runtime hands the module its services through astra_services (a table of function
 * pointers), never through dynamic symbol lookup: the runtime keeps its own symbols hidden.
 * A module whose abi_version differs from the runtime's is refused by version.
 *
 * Adding a member at the end of a struct keeps the version (the `size` fields tell which
 * members exist); changing or removing one bumps ASTRA_ABI_VERSION.
 */
#ifndef ASTRAAPI_ABI_H
#define ASTRAAPI_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "astraapi/trie.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ASTRA_ABI_VERSION 2u
#define ASTRA_MODULE_ENTRY_SYMBOL "astraapi_app_module_entry"

/* An opaque reference to a Python object: borrowed, except where an entry of astra_services
 * says it returns a new one (body decoders build values and hand each to one consumer). */
typedef struct astra_object_opaque *astra_obj;

/* The JSON text a serializer writes: `len` bytes at `data`, room for `cap`. The runtime owns
 * the buffer; generated code appends through gen_support.h's inline astra_out_put (a memcpy
 * after the room check) and the out_* services below, and grows it only with out_reserve. */
typedef struct astra_out {
    char *data;
    size_t len;
    size_t cap;
} astra_out;

/* A view of UTF-8 (or raw) bytes owned by someone else. */
typedef struct astra_str {
    const char *data;
    size_t len;
} astra_str;

/* An opaque request-decoding context: the request's query string, parsed on first use,
 * and the endpoint keyword arguments being built. */
typedef struct astra_decode_ctx astra_decode_ctx;

/* A read-only value of the parsed request body (a yyjson value inside the runtime), valid as
 * long as the decode context. */
typedef struct astra_jin astra_jin;

/* What a body value is, as generated decoders accept it. Integers outside int64 and numbers
 * that do not fit a double are OTHER (the decoder declines; the generic path decides). */
enum astra_jin_kind {
    ASTRA_JIN_OTHER = 0,
    ASTRA_JIN_NULL = 1,
    ASTRA_JIN_FALSE = 2,
    ASTRA_JIN_TRUE = 3,
    ASTRA_JIN_INT = 4,
    ASTRA_JIN_REAL = 5,
    ASTRA_JIN_STR = 6,
    ASTRA_JIN_ARR = 7,
    ASTRA_JIN_OBJ = 8
};

/* What kind of Python object a value is (exact built-in types; subclasses are OTHER,
 * except that a pydantic BaseModel instance of any class is MODEL). */
enum astra_obj_kind {
    ASTRA_KIND_OTHER = 0,
    ASTRA_KIND_NONE = 1,
    ASTRA_KIND_BOOL = 2,
    ASTRA_KIND_INT = 3,
    ASTRA_KIND_FLOAT = 4,
    ASTRA_KIND_STR = 5,
    ASTRA_KIND_LIST = 6,
    ASTRA_KIND_TUPLE = 7,
    ASTRA_KIND_DICT = 8,
    ASTRA_KIND_MODEL = 9
};

/* How a float is printed. Both are the shortest round-trip digits; they differ in when
 * they switch to exponent notation and how the exponent is written. */
enum astra_float_style {
    ASTRA_FLOAT_PYTHON = 0,  /* json.dumps / repr(): 1e-05, 1e+16, 0.0001, 3.0 */
    ASTRA_FLOAT_PYDANTIC = 1 /* pydantic-core dump_json: 0.00001, 1e-6, 1e+16, 3.0 */
};

typedef struct astra_services {
    uint32_t abi_version; /* ASTRA_ABI_VERSION */
    uint32_t size;        /* sizeof(astra_services) as the runtime was built */

    /* --- Python objects. NULL/-1 results mean "cannot": the caller gives up and the
     * runtime falls back to the generic path (any pending Python error is cleared). */

    /* An interned str kept alive by the runtime for the module's lifetime. */
    astra_obj (*intern)(const char *utf8, size_t len);
    /* The value of field `name` of a pydantic model instance (its __dict__), borrowed;
     * NULL if absent. */
    astra_obj (*model_field)(astra_obj model, astra_obj name);
    /* enum astra_obj_kind */
    int (*kind_of)(astra_obj value);
    /* list or tuple length and borrowed items. */
    size_t (*seq_len)(astra_obj seq);
    astra_obj (*seq_item)(astra_obj seq, size_t index);

    /* --- JSON writing. Each appends one value to `out` and returns 0, or -1: not a value of
     * that kind, or cannot (the serializer declines; the runtime clears any Python error). */
    /* Room for `extra` more bytes (cap - len >= extra). */
    int (*out_reserve)(astra_out *out, size_t extra);
    /* An exact Python int (not bool), any size. */
    int (*out_int)(astra_out *out, astra_obj value);
    /* An exact Python float, or an exact int printed as a float; style is enum
     * astra_float_style. Non-finite values fail. */
    int (*out_float)(astra_out *out, astra_obj value, int style);
    /* An exact Python str, quoted and escaped. */
    int (*out_str)(astra_out *out, astra_obj value);
    /* True or False. */
    int (*out_bool)(astra_out *out, astra_obj value);
    /* Any JSON-native value: None, bool, int, float, str, list, tuple, dict with str keys. */
    int (*out_any)(astra_out *out, astra_obj value, int float_style);
    /* Field values in one call: values[i] = field keys[i] (interned) of a pydantic model
     * instance (its __dict__), borrowed. -1 when `model` is no model instance or a field is
     * absent. */
    int (*model_fields)(astra_obj model, const astra_obj *keys, size_t n, astra_obj *values);
    /* values[i] = dict[keys[i]] of an exact dict, borrowed, NULL when absent. -1 when `dict`
     * is not an exact dict. */
    int (*dict_fields)(astra_obj dict, const astra_obj *keys, size_t n, astra_obj *values);
    /* The items of an exact list or tuple, borrowed, valid while nothing changes the sequence
     * (serializers run no Python code). -1 for anything else. */
    int (*seq_items)(astra_obj seq, astra_obj const **items, size_t *count);

    /* --- Request decoding (generated decoders). Returns: see each entry; -1 always means
     * "cannot": the decoder declines and the request is decoded on the generic path. */

    /* The LAST value of `key` in the query string, as Starlette reads it (parse_qsl with
     * blank values kept: '+' is a space, %XX decoded, keys compared after decoding).
     * 1: found (`value` is valid UTF-8 and lives as long as `ctx`), 0: absent, -1: cannot
     * (e.g. bytes that are not valid UTF-8). */
    int (*query_last)(astra_decode_ctx *ctx, const char *key, size_t key_len, astra_str *value);
    /* Set endpoint keyword argument `name` (an interned str from intern()). 0 or -1. */
    int (*kw_int)(astra_decode_ctx *ctx, astra_obj name, int64_t value);
    int (*kw_float)(astra_decode_ctx *ctx, astra_obj name, double value);
    int (*kw_str)(astra_decode_ctx *ctx, astra_obj name, const char *utf8, size_t len);
    int (*kw_bool)(astra_decode_ctx *ctx, astra_obj name, int value);
    /* A decimal number (already checked against the grammar) as the nearest double,
     * locale-independent; -1 when it is not finite. */
    int (*parse_float)(const char *text, size_t len, double *out);

    /* --- Validating plain data (generated encoders, which write what pydantic would write
     * after validating a dict, without building the model). */
    /* The object at dotted path `module.QualName` (its module imported), kept alive by the
     * runtime; NULL when it cannot be found. For init functions. */
    astra_obj (*resolve)(const char *dotted, size_t len);
    /* 1 when type(value) is exactly `cls`, else 0. */
    int (*is_exact_type)(astra_obj value, astra_obj cls);
    /* dict[key] of an exact dict, borrowed; NULL when absent (no error set). */
    astra_obj (*dict_get)(astra_obj dict, astra_obj key);

    /* --- Request bodies (generated body decoders). Objects returned as `astra_obj` by the
     * py_* and model_* entries below are NEW references: the decoder hands each to exactly one
     * consumer that steals it (py_list_set, py_dict_set*, model_new, kw_obj) or to release().
     * Everything else stays borrowed. */

    /* The request body parsed as JSON (yyjson), or NULL to decline: no body, a content-type
     * that is not application/json or application/<x>+json, bytes that are not JSON exactly
     * as Python's json.loads reads them (the generic path then gives FastAPI's answer), or
     * nesting deeper than the runtime checks. Parsed once per context. */
    const astra_jin *(*body_json)(astra_decode_ctx *ctx);
    int (*jin_kind)(const astra_jin *v);          /* enum astra_jin_kind */
    int64_t (*jin_int)(const astra_jin *v);       /* kind INT */
    double (*jin_real)(const astra_jin *v);       /* kind REAL (finite) */
    astra_str (*jin_str)(const astra_jin *v);     /* kind STR: valid UTF-8 */
    size_t (*jin_len)(const astra_jin *v);        /* ARR: items; OBJ: key/value pairs */
    /* The first child of an ARR or OBJ (an object's children alternate key, value), and the
     * value after `v` in its container. Only call jin_next jin_len (x2 for OBJ) - 1 times. */
    const astra_jin *(*jin_first)(const astra_jin *v);
    const astra_jin *(*jin_next)(const astra_jin *v);
    /* A body value of any shape as json.loads gives it (an `Any` field); NULL: decline. */
    astra_obj (*jin_to_py)(const astra_jin *v);

    astra_obj (*py_int)(int64_t value);
    astra_obj (*py_float)(double value);
    astra_obj (*py_str)(const char *utf8, size_t len);  /* NULL when not valid UTF-8 */
    astra_obj (*py_const)(int which);                   /* 0: None, 1: False, 2: True */
    astra_obj (*py_list)(size_t len);                   /* a list of `len` slots to fill */
    int (*py_list_set)(astra_obj list, size_t index, astra_obj item);  /* steals item */
    astra_obj (*py_dict)(void);
    int (*py_dict_set)(astra_obj dict, astra_obj key, astra_obj value);  /* key borrowed, value stolen */
    int (*py_dict_set_str)(astra_obj dict, const char *utf8, size_t len, astra_obj value);  /* steals value */
    astra_obj (*py_set)(void);
    int (*py_set_add)(astra_obj set, astra_obj key);  /* key borrowed */
    void (*release)(astra_obj value);                 /* Py_XDECREF */
    /* What pydantic gives a model field the input does not set: the default factory's result,
     * or the default (deep-copied when unhashable, as pydantic-core does). NULL: decline. */
    astra_obj (*field_default)(astra_obj model_class, astra_obj field_name);
    /* A model instance built from validated values, as pydantic's validator builds it
     * (`__dict__` = values in field order, `__pydantic_fields_set__` = fields_set, no extra,
     * no private state). Steals values and fields_set, also on failure. */
    astra_obj (*model_new)(astra_obj model_class, astra_obj values, astra_obj fields_set);
    /* Set endpoint keyword argument `name` (interned) to `value` (stolen). 0 or -1. */
    int (*kw_obj)(astra_decode_ctx *ctx, astra_obj name, astra_obj value);

    /* --- Serializer options (response_model_exclude_unset / exclude_defaults). 1, 0, or -1:
     * cannot tell (the serializer declines). */
    /* 1 when field `name` is not in the instance's __pydantic_fields_set__. */
    int (*model_field_unset)(astra_obj model, astra_obj name);
    /* 1 when `value` == the field's default (a plain default; compared as pydantic does,
     * value.__eq__ first, no identity shortcut); 0 for a required field. */
    int (*model_field_is_default)(astra_obj model, astra_obj name, astra_obj value);

    /* --- More body decoding. New references, NULL to decline. */
    /* The member of enum class `cls` whose value is `value` (borrowed), by exact lookup in
     * its value map (no _missing_ hook); NULL when none. */
    astra_obj (*enum_member)(astra_obj cls, astra_obj value);
    /* callable(arg): for the constructors of uuid.UUID, Decimal, date/datetime.fromisoformat,
     * called only on text already checked to be in the canonical form they share with pydantic. */
    astra_obj (*call1)(astra_obj callable, astra_obj arg);

    /* --- Constraint checks on raw values (generated encoders). */
    /* 1 and *out set when `value` is an exact int within int64, else 0. */
    int (*int_value)(astra_obj value, int64_t *out);
    /* 1 and *out set when `value` is an exact float, or an exact int a double holds, else 0. */
    int (*float_value)(astra_obj value, double *out);
    /* The length in code points of an exact str; (size_t)-1 for anything else. */
    size_t (*str_length)(astra_obj value);

    /* --- Header, cookie and repeated query parameters (generated request decoders). */
    /* The values of parameter `key` read from `location` (enum astra_param_location) as the
     * generic path reads them: QUERY, every occurrence in the query string in order (decoded as
     * for query_last); HEADER, every header named `key` (lower case) in order; COOKIE, the value
     * of cookie `key` in the first cookie header as Starlette parses it (at most one; a later
     * pair of the same name wins). Returns how many there are and fills
     * out[0 .. min(count, max)) (views that live as long as `ctx`); -1: cannot (bytes that are
     * not ASCII in a header value it fills or in the cookie header, a quoted cookie value, an
     * undecodable query string). */
    int (*param_values)(astra_decode_ctx *ctx, int location, const char *key, size_t key_len, astra_str *out,
                        size_t max);

    /* --- Typed values (generated serializers): pydantic-core's dump_json text of a value of exactly
     * that type, or -1 (another type, or a value whose text pydantic writes otherwise: a tzinfo
     * other than datetime.timezone, an offset with seconds, a time with a tzinfo). */
    int (*out_typed)(astra_out *out, astra_obj value, int kind); /* enum astra_typed_kind */
    /* A member of enum class `cls` (exactly that class): its value, as out_any writes it. */
    int (*out_enum)(astra_out *out, astra_obj value, astra_obj cls);
} astra_services;

/* What out_typed writes: uuid.UUID ("8-4-4-4-12" lower-case hex), datetime.datetime
 * ("YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]"), datetime.date, datetime.time (naive), pydantic's secrets. */
enum astra_typed_kind {
    ASTRA_TYPED_UUID = 1,
    ASTRA_TYPED_DATETIME = 2,
    ASTRA_TYPED_DATE = 3,
    ASTRA_TYPED_TIME = 4,
    ASTRA_TYPED_SECRET_STR = 5,  /* pydantic.SecretStr: "**********", or "" when empty (pydantic's mask) */
    ASTRA_TYPED_SECRET_BYTES = 6, /* pydantic.SecretBytes: the same */
    ASTRA_TYPED_IPV4 = 7,         /* ipaddress.IPv4Address: "192.0.2.1" */
    ASTRA_TYPED_URL = 8           /* pydantic's URL classes (HttpUrl, AnyUrl, ...): the URL's text */
};

enum astra_param_location { ASTRA_PARAM_QUERY = 0, ASTRA_PARAM_HEADER = 1, ASTRA_PARAM_COOKIE = 2 };

/* A serializer writes one validated value as JSON text into `out` and returns 0.
 * -1 means "not this value": the caller discards what was written and serializes the value on
 * the generic path instead, so a serializer never has to be complete, only correct when it
 * answers. */
typedef int (*astra_serializer_fn)(const astra_services *services, astra_out *out, astra_obj value);

/* A decoder extracts and converts one route's path and query parameters (and, for a route
 * with one JSON body parameter of a model type, the body: see body_json) into endpoint
 * keyword arguments. It returns 0 when every parameter it covers was read and valid
 * (absent optional ones are left unset: the engine supplies their defaults), and -1 to
 * decline: anything unusual (a missing or invalid value, an unusual spelling) is left to
 * the generic path, which produces the same values or FastAPI's 422. */
typedef int (*astra_decoder_fn)(const astra_services *services, astra_decode_ctx *ctx,
                                const astra_str *path_params, size_t path_param_count);

typedef struct astra_app_module {
    uint32_t abi_version; /* ASTRA_ABI_VERSION the module was generated for */
    uint32_t size;        /* sizeof(astra_app_module) as the module was built */
    const char *ir_hash;  /* hex sha256 of the App IR the module was generated from */
    const char *app_ref;  /* "package.module:attribute" */
    const astra_trie_table *trie;
    uint32_t serializer_count;
    const astra_serializer_fn *serializers; /* indexed by serializer id (see the manifest) */
    const char *const *serializer_names;
    /* Called once after loading, before any serializer; returns 0 on success. */
    int (*init)(const astra_services *services);
    uint32_t decoder_count;
    const astra_decoder_fn *decoders; /* indexed by decoder id (see the manifest) */
    /* Aligned with `serializers`: for each, an encoder taking the endpoint's raw return
     * value (validation and serialization in one pass), or NULL when the route has none. */
    const astra_serializer_fn *encoders;
} astra_app_module;

typedef const astra_app_module *(*astra_module_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* ASTRAAPI_ABI_H */
