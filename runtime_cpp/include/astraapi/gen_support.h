/* AstraAPI public header: small inline helpers that generated serializers call.
 *
 * Each helper serializes one scalar value the way pydantic-core's dump_json does, or
 * returns NULL when the value is not of the kind it handles (the caller then gives up
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

static inline astra_json_val *astra_ser_int(const astra_services *S, astra_json_doc *d, astra_obj v) {
    return S->kind_of(v) == ASTRA_KIND_INT ? S->json_int(d, v) : NULL;
}

static inline astra_json_val *astra_ser_float(const astra_services *S, astra_json_doc *d, astra_obj v) {
    int kind = S->kind_of(v);
    return (kind == ASTRA_KIND_FLOAT || kind == ASTRA_KIND_INT) ? S->json_float(d, v, ASTRA_FLOAT_PYDANTIC)
                                                                : NULL;
}

static inline astra_json_val *astra_ser_str(const astra_services *S, astra_json_doc *d, astra_obj v) {
    return S->kind_of(v) == ASTRA_KIND_STR ? S->json_str(d, v) : NULL;
}

static inline astra_json_val *astra_ser_bool(const astra_services *S, astra_json_doc *d, astra_obj v) {
    return S->kind_of(v) == ASTRA_KIND_BOOL ? S->json_any(d, v, ASTRA_FLOAT_PYDANTIC) : NULL;
}

static inline astra_json_val *astra_ser_none(const astra_services *S, astra_json_doc *d, astra_obj v) {
    return S->kind_of(v) == ASTRA_KIND_NONE ? S->json_null(d) : NULL;
}

/* JSON-native values of any shape (an `Any` field, dict[str, scalar]). */
static inline astra_json_val *astra_ser_any(const astra_services *S, astra_json_doc *d, astra_obj v) {
    return S->json_any(d, v, ASTRA_FLOAT_PYDANTIC);
}

#ifdef __cplusplus
}
#endif

#endif /* ASTRAAPI_GEN_SUPPORT_H */
