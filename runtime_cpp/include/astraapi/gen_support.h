/* AstraAPI public header: small inline helpers that generated serializers call.
 *
 * Each helper writes one scalar value the way pydantic-core's dump_json does and returns 0,
 * or returns -1 when the value is not of the kind it handles (the caller then gives up
 * and the runtime serializes the whole value on the generic path).
 * The code generator's registry (astraapi/compiler/codegen/abi_registry.py) lists these
 * names; generated code calls nothing else besides the astra_services table.
 */
#ifndef ASTRAAPI_GEN_SUPPORT_H
#define ASTRAAPI_GEN_SUPPORT_H

#include "astraapi/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends `n` bytes of JSON text (a literal: a key, punctuation, a default's JSON). */
static inline int astra_out_put(const astra_services *S, astra_out *o, const char *text, size_t n) {
    if (o->cap - o->len < n && S->out_reserve(o, n) != 0) return -1;
    __builtin_memcpy(o->data + o->len, text, n);
    o->len += n;
    return 0;
}

static inline int astra_ser_int(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_int(o, v);
}

static inline int astra_ser_float(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_float(o, v, ASTRA_FLOAT_PYDANTIC);
}

static inline int astra_ser_str(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_str(o, v);
}

static inline int astra_ser_bool(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_bool(o, v);
}

static inline int astra_ser_none(const astra_services *S, astra_out *o, astra_obj v) {
    return S->kind_of(v) == ASTRA_KIND_NONE ? astra_out_put(S, o, "null", 4) : -1;
}

/* JSON-native values of any shape (an `Any` field, dict[str, scalar]). */
static inline int astra_ser_any(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_any(o, v, ASTRA_FLOAT_PYDANTIC);
}

/* Typed values (out_typed): uuid.UUID, datetime, date, time objects of exactly that class. */
static inline int astra_ser_uuid(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_UUID);
}

static inline int astra_ser_datetime(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_DATETIME);
}

static inline int astra_ser_date(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_DATE);
}

static inline int astra_ser_time(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_TIME);
}

static inline int astra_ser_secret_str(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_SECRET_STR);
}

static inline int astra_ser_secret_bytes(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_SECRET_BYTES);
}

static inline int astra_ser_ipv4(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_IPV4);
}

static inline int astra_ser_url(const astra_services *S, astra_out *o, astra_obj v) {
    return S->out_typed(o, v, ASTRA_TYPED_URL);
}

/* ---- request decoding: the canonical spellings only; anything else returns 0 and the
 * generated decoder declines (pydantic, on the generic path, accepts more and decides). */

/* -?[0-9]{1,18} */
static inline int astra_parse_int(astra_str s, int64_t *out) {
    size_t i = 0;
    int negative = 0;
    if (s.len > 0 && s.data[0] == '-') {
        negative = 1;
        i = 1;
    }
    if (s.len == i || s.len - i > 18) return 0;
    int64_t value = 0;
    for (; i < s.len; ++i) {
        char c = s.data[i];
        if (c < '0' || c > '9') return 0;
        value = value * 10 + (c - '0');
    }
    *out = negative ? -value : value;
    return 1;
}

static inline size_t astra_digits(astra_str s, size_t i) {
    while (i < s.len && s.data[i] >= '0' && s.data[i] <= '9') ++i;
    return i;
}

/* -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?, converted with correct rounding, finite only. */
static inline int astra_parse_float(const astra_services *S, astra_str s, double *out) {
    size_t i = (s.len > 0 && s.data[0] == '-') ? 1 : 0;
    size_t j = astra_digits(s, i);
    if (j == i || s.len > 64) return 0;
    if (j < s.len && s.data[j] == '.') {
        size_t k = astra_digits(s, j + 1);
        if (k == j + 1) return 0;
        j = k;
    }
    if (j < s.len && (s.data[j] == 'e' || s.data[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.len && (s.data[k] == '+' || s.data[k] == '-')) ++k;
        size_t m = astra_digits(s, k);
        if (m == k) return 0;
        j = m;
    }
    return j == s.len && S->parse_float(s.data, s.len, out) == 0;
}

/* pydantic's lax bool spellings (ASCII case-insensitive, no surrounding spaces). */
static inline int astra_parse_bool(astra_str s, int *out) {
    static const char *const truthy[] = {"true", "1", "yes", "on", "t", "y"};
    static const char *const falsy[] = {"false", "0", "no", "off", "f", "n"};
    char lower[6];
    if (s.len == 0 || s.len > 5) return 0;
    for (size_t i = 0; i < s.len; ++i) {
        char c = s.data[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    for (int i = 0; i < 6; ++i) {
        size_t n = 0;
        while (truthy[i][n]) ++n;
        if (n == s.len && __builtin_memcmp(lower, truthy[i], n) == 0) return *out = 1, 1;
        n = 0;
        while (falsy[i][n]) ++n;
        if (n == s.len && __builtin_memcmp(lower, falsy[i], n) == 0) return *out = 0, 1;
    }
    return 0;
}

/* Code points in valid UTF-8 (what pydantic's min_length/max_length count). */
static inline size_t astra_utf8_length(astra_str s) {
    size_t count = 0;
    for (size_t i = 0; i < s.len; ++i) count += ((unsigned char)s.data[i] & 0xC0) != 0x80;
    return count;
}

/* ---- body decoding: the value under `key` in a body object (an embedded body parameter);
 * NULL when the body is not an object, the key is absent, or given twice. */
static inline const astra_jin *astra_jin_member(const astra_services *S, const astra_jin *obj, const char *key,
                                                size_t key_len) {
    const astra_jin *found = NULL;
    if (S->jin_kind(obj) != ASTRA_JIN_OBJ) return NULL;
    size_t n = S->jin_len(obj);
    const astra_jin *k = S->jin_first(obj);
    for (size_t i = 0; i < n; ++i) {
        const astra_jin *value = S->jin_next(k);
        astra_str name = S->jin_str(k);
        if (name.len == key_len && __builtin_memcmp(name.data, key, key_len) == 0) {
            if (found) return NULL;
            found = value;
        }
        if (i + 1 < n) k = S->jin_next(value);
    }
    return found;
}

/* ---- body decoding: the canonical text forms of uuid, date, datetime, time and Decimal values
 * on which Python's constructors and pydantic agree; anything else declines. */

static inline int astra_all_digits(astra_str s, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
        if (s.data[i] < '0' || s.data[i] > '9') return 0;
    }
    return 1;
}

/* 8-4-4-4-12 hexadecimal digits (either case). */
static inline int astra_is_canonical_uuid(astra_str s) {
    if (s.len != 36) return 0;
    for (size_t i = 0; i < 36; ++i) {
        char c = s.data[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* YYYY-MM-DD (the calendar check is left to date.fromisoformat: an invalid date declines). */
static inline int astra_is_iso_date(astra_str s) {
    return s.len == 10 && s.data[4] == '-' && s.data[7] == '-' && astra_all_digits(s, 0, 4) &&
           astra_all_digits(s, 5, 7) && astra_all_digits(s, 8, 10);
}

/* YYYY-MM-DDTHH:MM:SS with an optional .f to .ffffff, no time zone (a naive datetime). */
static inline int astra_is_iso_naive_datetime(astra_str s) {
    if (s.len < 19 || s.len == 20 || s.len > 26) return 0;
    astra_str date = {s.data, 10};
    if (!astra_is_iso_date(date) || s.data[10] != 'T' || s.data[13] != ':' || s.data[16] != ':') return 0;
    if (!astra_all_digits(s, 11, 13) || !astra_all_digits(s, 14, 16) || !astra_all_digits(s, 17, 19)) return 0;
    return s.len == 19 || (s.data[19] == '.' && astra_all_digits(s, 20, s.len));
}

/* +HH:MM or -HH:MM (six characters at `o`; hours 00-23, minutes 00-59). */
static inline int astra_is_utc_offset(const char *o) {
    astra_str offset = {o, 6};
    if ((o[0] != '+' && o[0] != '-') || o[3] != ':') return 0;
    if (!astra_all_digits(offset, 1, 3) || !astra_all_digits(offset, 4, 6)) return 0;
    return (o[1] - '0') * 10 + (o[2] - '0') <= 23 && (o[4] - '0') * 10 + (o[5] - '0') <= 59;
}

/* A naive datetime (above), optionally followed by Z or +HH:MM / -HH:MM (hours 00-23, minutes 00-59). */
static inline int astra_is_iso_datetime(astra_str s) {
    if (s.len > 0 && s.data[s.len - 1] == 'Z') {
        astra_str naive = {s.data, s.len - 1};
        return astra_is_iso_naive_datetime(naive);
    }
    if (s.len >= 25 && astra_is_utc_offset(s.data + s.len - 6)) {
        astra_str naive = {s.data, s.len - 6};
        return astra_is_iso_naive_datetime(naive);
    }
    return astra_is_iso_naive_datetime(s);
}

/* HH:MM:SS with an optional .f to .ffffff, optionally followed by Z or +HH:MM / -HH:MM (hours
 * 00-23, minutes 00-59; the clock's own range is left to time.fromisoformat). */
static inline int astra_is_iso_time(astra_str s) {
    size_t end = s.len;
    if (end > 0 && s.data[end - 1] == 'Z') {
        end -= 1;
    } else if (end >= 14 && astra_is_utc_offset(s.data + end - 6)) {
        end -= 6;
    }
    if (end < 8 || end == 9 || end > 15 || s.data[2] != ':' || s.data[5] != ':') return 0;
    if (!astra_all_digits(s, 0, 2) || !astra_all_digits(s, 3, 5) || !astra_all_digits(s, 6, 8)) return 0;
    return end == 8 || (s.data[8] == '.' && astra_all_digits(s, 9, end));
}

/* -?[0-9]+(\.[0-9]+)? */
static inline int astra_is_plain_decimal(astra_str s) {
    size_t i = (s.len > 0 && s.data[0] == '-') ? 1 : 0;
    size_t j = astra_digits(s, i);
    if (j == i || s.len > 64) return 0;
    if (j == s.len) return 1;
    if (s.data[j] != '.') return 0;
    return astra_digits(s, j + 1) == s.len && s.len > j + 1;
}

#ifdef __cplusplus
}
#endif

#endif /* ASTRAAPI_GEN_SUPPORT_H */
