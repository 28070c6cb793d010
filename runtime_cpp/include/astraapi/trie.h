/* AstraAPI public header: the route trie table format.
 *
 * One format serves both modes: dynamic mode builds these tables in memory from the IR
 * (astraapi/ir/trie.py computes them), compiled mode emits the same tables as const
 * data in the generated app module. The runtime's matcher walks them; it is the only
 * code that interprets them, so both modes match identically by construction.
 *
 * Matching semantics (FastAPI/Starlette): the decoded path is split on '/' after the
 * leading '/'; routes are tried in declaration order, the first route whose path and
 * method match wins; if none matches but some route's path matches, the first such
 * route gives 405 with its Allow header; otherwise, if redirect_slashes is on and the
 * path with its trailing slash toggled matches any route, 307 to that path; else 404.
 */
#ifndef ASTRAAPI_TRIE_H
#define ASTRAAPI_TRIE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a parameter segment matches (Starlette's convertors). */
enum astra_param_kind {
    ASTRA_PARAM_STR = 0,   /* one non-empty segment: [^/]+ */
    ASTRA_PARAM_INT = 1,   /* [0-9]+ */
    ASTRA_PARAM_FLOAT = 2, /* [0-9]+(\.[0-9]+)? */
    ASTRA_PARAM_UUID = 3,  /* 8-4-4-4-12 hex digits */
    ASTRA_PARAM_PATH = 4   /* the rest of the path, slashes included, possibly empty: .* */
};

/* Method bits; a route's `methods` is an OR of these. */
enum astra_method_bit {
    ASTRA_M_GET = 1u << 0,
    ASTRA_M_HEAD = 1u << 1,
    ASTRA_M_POST = 1u << 2,
    ASTRA_M_PUT = 1u << 3,
    ASTRA_M_DELETE = 1u << 4,
    ASTRA_M_PATCH = 1u << 5,
    ASTRA_M_OPTIONS = 1u << 6,
    ASTRA_M_TRACE = 1u << 7,
    ASTRA_M_CONNECT = 1u << 8,
    /* A WebSocket route: matched only by WebSocket upgrade requests, and they match only these. */
    ASTRA_M_WEBSOCKET = 1u << 9,
    /* Any other method (QUERY, PROPFIND, ...: an extension method): a route declaring one has this bit,
       and an extension-method request matches it only when the route's Allow value names the method. */
    ASTRA_M_OTHER = 1u << 10,
    /* Not methods: flags of a route that is a mount (StaticFiles, app.frontend). */
    ASTRA_M_ANY = 1u << 30, /* every method, including ones without a bit */
    ASTRA_M_LOW = 1u << 31  /* low priority: matched only when no other route matched, partially
                               or through a trailing-slash redirect (FastAPI's frontend routes) */
};

typedef struct astra_trie_edge {
    const char *segment; /* literal path segment, UTF-8, not NUL-terminated */
    uint32_t segment_len;
    uint32_t child; /* node index */
} astra_trie_edge;

typedef struct astra_trie_param_edge {
    uint32_t kind;  /* enum astra_param_kind */
    uint32_t child; /* node index */
} astra_trie_param_edge;

typedef struct astra_trie_node {
    uint32_t edge_begin, edge_count;             /* static children in edges[], sorted by (len, bytes) */
    uint32_t param_edge_begin, param_edge_count; /* parameter children in param_edges[] */
    uint32_t route_begin, route_count;           /* routes ending here in node_routes[], ascending */
    uint32_t min_route;                          /* smallest route index in this subtree (pruning) */
} astra_trie_node;

typedef struct astra_trie_route {
    uint32_t methods;     /* OR of astra_method_bit */
    const char *allow;    /* value of the Allow header for a 405 on this route */
    uint32_t allow_len;
    uint32_t param_count; /* number of path parameters, in path order */
} astra_trie_route;

typedef struct astra_trie_table {
    uint32_t node_count;
    const astra_trie_node *nodes; /* nodes[0] is the root */
    uint32_t edge_count;
    const astra_trie_edge *edges;
    uint32_t param_edge_count;
    const astra_trie_param_edge *param_edges;
    uint32_t node_route_count;
    const uint32_t *node_routes;
    uint32_t route_count;
    const astra_trie_route *routes;
    uint32_t redirect_slashes; /* 1: FastAPI's default trailing-slash redirect */
} astra_trie_table;

#ifdef __cplusplus
}
#endif

#endif /* ASTRAAPI_TRIE_H */
