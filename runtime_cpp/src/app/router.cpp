#include "router.h"

#include "astraapi_contract.h"  // generated from astraapi/_runtime_contract.py

#include <cstring>
#include <limits>
#include <stdexcept>

// The public trie.h (compiled app modules build against it alone) against the one source of
// these values, astraapi/_runtime_contract.py (via the generated astraapi_contract.h).
static_assert(ASTRA_PARAM_STR == astra::contract::kParamStr && ASTRA_PARAM_INT == astra::contract::kParamInt &&
              ASTRA_PARAM_FLOAT == astra::contract::kParamFloat && ASTRA_PARAM_UUID == astra::contract::kParamUuid &&
              ASTRA_PARAM_PATH == astra::contract::kParamPath);
static_assert(ASTRA_M_GET == astra::contract::kMethodGet && ASTRA_M_HEAD == astra::contract::kMethodHead &&
              ASTRA_M_POST == astra::contract::kMethodPost && ASTRA_M_PUT == astra::contract::kMethodPut &&
              ASTRA_M_DELETE == astra::contract::kMethodDelete && ASTRA_M_PATCH == astra::contract::kMethodPatch &&
              ASTRA_M_OPTIONS == astra::contract::kMethodOptions && ASTRA_M_TRACE == astra::contract::kMethodTrace &&
              ASTRA_M_CONNECT == astra::contract::kMethodConnect &&
              ASTRA_M_WEBSOCKET == astra::contract::kMethodWebsocket &&
              ASTRA_M_OTHER == astra::contract::kExtensionMethod && ASTRA_M_ANY == astra::contract::kAnyMethod &&
              ASTRA_M_LOW == astra::contract::kLowPriority);

namespace astra {

struct Trie::Storage {
    std::vector<astra_trie_node> nodes;
    std::vector<std::string> segments;
    std::vector<astra_trie_edge> edges;
    std::vector<astra_trie_param_edge> param_edges;
    std::vector<uint32_t> node_routes;
    std::vector<std::string> allows;
    std::vector<astra_trie_route> routes;
};

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// Starlette's convertor regexes (anchored to one whole segment).
bool param_matches(uint32_t kind, std::string_view s) {
    switch (kind) {
        case ASTRA_PARAM_STR:  // [^/]+
            return !s.empty();
        case ASTRA_PARAM_INT:  // [0-9]+
            if (s.empty()) return false;
            for (char c : s)
                if (!is_digit(c)) return false;
            return true;
        case ASTRA_PARAM_FLOAT: {  // [0-9]+(\.[0-9]+)?
            size_t i = 0, n = s.size();
            while (i < n && is_digit(s[i])) ++i;
            if (i == 0) return false;
            if (i == n) return true;
            if (s[i] != '.') return false;
            size_t j = ++i;
            while (i < n && is_digit(s[i])) ++i;
            return i == n && i > j;
        }
        case ASTRA_PARAM_UUID: {  // [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
            if (s.size() != 36) return false;
            for (size_t i = 0; i < 36; ++i) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                    if (s[i] != '-') return false;
                } else if (!is_lower_hex(s[i])) {
                    return false;
                }
            }
            return true;
        }
        default:
            return false;
    }
}

// Edges are sorted by (length, bytes).
inline int edge_cmp(const astra_trie_edge& e, std::string_view s) {
    if (e.segment_len != s.size()) return e.segment_len < s.size() ? -1 : 1;
    if (s.empty()) return 0;
    return std::memcmp(e.segment, s.data(), s.size());
}

// Whether a route's Allow value ("GET, QUERY") names `method` (an extension method's request).
bool allow_names(const astra_trie_route& r, std::string_view method) {
    std::string_view allow(r.allow ? r.allow : "", r.allow_len);
    while (!allow.empty()) {
        size_t comma = allow.find(',');
        std::string_view item = allow.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == method) return true;
        if (comma == std::string_view::npos) break;
        allow.remove_prefix(comma + 1);
    }
    return false;
}

struct Walker {
    const astra_trie_table& t;
    uint32_t bits;
    std::string_view method;  // the request's method when `bits` is ASTRA_M_OTHER
    const std::string_view* segs;
    size_t nsegs;
    std::vector<std::string_view>& params;
    std::vector<std::string_view>& best_params;
    uint32_t best_full = kNone;
    uint32_t best_partial = kNone;
    bool want_params;
    bool low;  // the low-priority pass: only ASTRA_M_LOW routes; otherwise only the others

    void dfs(uint32_t ni, size_t si) {
        const astra_trie_node& n = t.nodes[ni];
        if (n.min_route >= best_full) return;
        if (si == nsegs) {
            for (uint32_t k = 0; k < n.route_count; ++k) {
                uint32_t r = t.node_routes[n.route_begin + k];
                if (r >= best_full) break;
                uint32_t methods = t.routes[r].methods;
                if (((methods & ASTRA_M_LOW) != 0) != low) continue;
                // A mount takes every HTTP method; WebSocket upgrades reach WebSocket routes only
                // (a mounted sub-application's WebSocket routes are not served: docs/websockets.md).
                if (((methods & bits) && !(bits & ASTRA_M_OTHER && !allow_names(t.routes[r], method))) ||
                    ((methods & ASTRA_M_ANY) && !(bits & ASTRA_M_WEBSOCKET))) {
                    best_full = r;
                    if (want_params) best_params.assign(params.begin(), params.end());
                    break;
                }
                // A WebSocket route never answers 405 (or a redirect) to an HTTP request, and an
                // HTTP route never matches a WebSocket request (as Starlette's routes do).
                if (r < best_partial && ((t.routes[r].methods ^ bits) & ASTRA_M_WEBSOCKET) == 0) best_partial = r;
            }
            return;
        }
        std::string_view seg = segs[si];
        if (n.edge_count) {
            const astra_trie_edge* lo = t.edges + n.edge_begin;
            size_t count = n.edge_count;
            while (count > 0) {  // lower bound
                size_t half = count / 2;
                if (edge_cmp(lo[half], seg) < 0) {
                    lo += half + 1;
                    count -= half + 1;
                } else {
                    count = half;
                }
            }
            const astra_trie_edge* end = t.edges + n.edge_begin + n.edge_count;
            if (lo != end && edge_cmp(*lo, seg) == 0) dfs(lo->child, si + 1);
        }
        for (uint32_t k = 0; k < n.param_edge_count; ++k) {
            const astra_trie_param_edge& pe = t.param_edges[n.param_edge_begin + k];
            if (t.nodes[pe.child].min_route >= best_full) continue;
            if (pe.kind == ASTRA_PARAM_PATH) {
                // One or more whole segments, longest first (greedy .*).
                const char* begin = seg.data();
                for (size_t end = nsegs; end > si; --end) {
                    const std::string_view& last = segs[end - 1];
                    params.emplace_back(begin, static_cast<size_t>(last.data() + last.size() - begin));
                    dfs(pe.child, end);
                    params.pop_back();
                    if (t.nodes[pe.child].min_route >= best_full) break;
                }
            } else if (param_matches(pe.kind, seg)) {
                params.push_back(seg);
                dfs(pe.child, si + 1);
                params.pop_back();
            }
        }
    }
};

}  // namespace

uint32_t Trie::method_bit(std::string_view m) {
    switch (m.size()) {
        case 3:
            if (m == "GET") return ASTRA_M_GET;
            if (m == "PUT") return ASTRA_M_PUT;
            break;
        case 4:
            if (m == "POST") return ASTRA_M_POST;
            if (m == "HEAD") return ASTRA_M_HEAD;
            break;
        case 5:
            if (m == "PATCH") return ASTRA_M_PATCH;
            if (m == "TRACE") return ASTRA_M_TRACE;
            break;
        case 6:
            if (m == "DELETE") return ASTRA_M_DELETE;
            break;
        case 7:
            if (m == "OPTIONS") return ASTRA_M_OPTIONS;
            if (m == "CONNECT") return ASTRA_M_CONNECT;
            break;
        default:
            break;
    }
    return m.empty() ? 0 : ASTRA_M_OTHER;
}

void Trie::validate(const astra_trie_table& t) {
    auto fail = [](const std::string& what) { throw std::invalid_argument("invalid route trie table: " + what); };
    if (t.node_count == 0 || !t.nodes) fail("no root node");
    auto in_range = [](uint64_t begin, uint64_t count, uint64_t size) { return begin + count <= size; };
    for (uint32_t i = 0; i < t.node_count; ++i) {
        const astra_trie_node& n = t.nodes[i];
        std::string at = "node " + std::to_string(i) + ": ";
        if (!in_range(n.edge_begin, n.edge_count, t.edge_count)) fail(at + "edge range out of bounds");
        if (!in_range(n.param_edge_begin, n.param_edge_count, t.param_edge_count))
            fail(at + "param edge range out of bounds");
        if (!in_range(n.route_begin, n.route_count, t.node_route_count)) fail(at + "route range out of bounds");
        for (uint32_t k = 0; k < n.edge_count; ++k) {
            const astra_trie_edge& e = t.edges[n.edge_begin + k];
            if (e.child >= t.node_count) fail(at + "edge child out of bounds");
            if (e.segment_len && !e.segment) fail(at + "edge without segment bytes");
            if (k > 0) {
                const astra_trie_edge& p = t.edges[n.edge_begin + k - 1];
                if (edge_cmp(p, std::string_view(e.segment ? e.segment : "", e.segment_len)) >= 0)
                    fail(at + "edges not sorted by (length, bytes) or duplicated");
            }
            if (t.nodes[e.child].min_route < n.min_route) fail(at + "min_route larger than a child's");
        }
        for (uint32_t k = 0; k < n.param_edge_count; ++k) {
            const astra_trie_param_edge& pe = t.param_edges[n.param_edge_begin + k];
            if (pe.child >= t.node_count) fail(at + "param edge child out of bounds");
            if (pe.kind > ASTRA_PARAM_PATH) fail(at + "unknown param kind " + std::to_string(pe.kind));
            if (t.nodes[pe.child].min_route < n.min_route) fail(at + "min_route larger than a child's");
        }
        uint32_t prev = 0;
        for (uint32_t k = 0; k < n.route_count; ++k) {
            uint32_t r = t.node_routes[n.route_begin + k];
            if (r >= t.route_count) fail(at + "route index out of bounds");
            if (k > 0 && r <= prev) fail(at + "node routes not ascending");
            if (r < n.min_route) fail(at + "min_route larger than one of its routes");
            prev = r;
        }
    }
    for (uint32_t r = 0; r < t.route_count; ++r)
        if (t.routes[r].allow_len && !t.routes[r].allow) fail("route " + std::to_string(r) + ": allow missing");
}

std::shared_ptr<Trie> Trie::from_tables(const std::vector<astra_trie_node>& nodes,
                                        const std::vector<std::pair<std::string, uint32_t>>& edges,
                                        const std::vector<astra_trie_param_edge>& param_edges,
                                        const std::vector<uint32_t>& node_routes,
                                        const std::vector<RouteSpec>& routes, bool redirect_slashes) {
    auto st = std::make_shared<Storage>();
    st->nodes = nodes;
    st->segments.reserve(edges.size());
    for (const auto& e : edges) st->segments.push_back(e.first);
    st->edges.resize(edges.size());
    for (size_t i = 0; i < edges.size(); ++i) {
        if (st->segments[i].size() > std::numeric_limits<uint32_t>::max())
            throw std::invalid_argument("invalid route trie table: segment too long");
        st->edges[i].segment = st->segments[i].data();
        st->edges[i].segment_len = static_cast<uint32_t>(st->segments[i].size());
        st->edges[i].child = edges[i].second;
    }
    st->param_edges = param_edges;
    st->node_routes = node_routes;
    st->allows.reserve(routes.size());
    for (const auto& r : routes) st->allows.push_back(r.allow);
    st->routes.resize(routes.size());
    for (size_t i = 0; i < routes.size(); ++i) {
        st->routes[i].methods = routes[i].methods;
        st->routes[i].allow = st->allows[i].data();
        st->routes[i].allow_len = static_cast<uint32_t>(st->allows[i].size());
        st->routes[i].param_count = routes[i].param_count;
    }
    std::shared_ptr<Trie> trie(new Trie());
    astra_trie_table& t = trie->table_;
    t.node_count = static_cast<uint32_t>(st->nodes.size());
    t.nodes = st->nodes.data();
    t.edge_count = static_cast<uint32_t>(st->edges.size());
    t.edges = st->edges.data();
    t.param_edge_count = static_cast<uint32_t>(st->param_edges.size());
    t.param_edges = st->param_edges.data();
    t.node_route_count = static_cast<uint32_t>(st->node_routes.size());
    t.node_routes = st->node_routes.data();
    t.route_count = static_cast<uint32_t>(st->routes.size());
    t.routes = st->routes.data();
    t.redirect_slashes = redirect_slashes ? 1u : 0u;
    validate(t);
    trie->storage_ = std::move(st);
    trie->note_low_routes();
    return trie;
}

std::shared_ptr<Trie> Trie::borrow(const astra_trie_table* table, std::shared_ptr<void> owner) {
    if (!table) throw std::invalid_argument("invalid route trie table: NULL");
    validate(*table);
    std::shared_ptr<Trie> trie(new Trie());
    trie->table_ = *table;
    trie->owner_ = std::move(owner);
    trie->note_low_routes();
    return trie;
}

void Trie::note_low_routes() {
    for (uint32_t r = 0; r < table_.route_count; ++r)
        if (table_.routes[r].methods & ASTRA_M_LOW) has_low_ = true;
}

bool Trie::walk(uint32_t bits, std::string_view method, std::string_view path, MatchScratch& s,
                uint32_t& best_full, uint32_t& best_partial, bool low) const {
    best_full = best_partial = kNone;
    if (path.empty() || path[0] != '/') return false;
    s.segments.clear();
    size_t start = 1;
    for (;;) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            s.segments.push_back(path.substr(start));
            break;
        }
        s.segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    s.params.clear();
    Walker w{table_, bits, method, s.segments.data(), s.segments.size(), s.params, s.best_params, kNone, kNone, true, low};
    w.dfs(0, 0);
    best_full = w.best_full;
    best_partial = w.best_partial;
    return true;
}

MatchResult Trie::match(uint32_t bits, std::string_view path, MatchScratch& s, std::string_view method) const {
    MatchResult res;
    uint32_t full, partial;
    walk(bits, method, path, s, full, partial, false);
    if (full != kNone) {
        res.kind = MatchKind::Found;
        res.route = full;
        res.params = s.best_params.data();
        res.param_count = s.best_params.size();
        return res;
    }
    if (partial != kNone) {
        res.kind = MatchKind::MethodNotAllowed;
        res.route = partial;
        const astra_trie_route& r = table_.routes[partial];
        res.allow = std::string_view(r.allow ? r.allow : "", r.allow_len);
        return res;
    }
    if (table_.redirect_slashes && path.size() > 1 && path[0] == '/') {
        std::string& alt = s.redirect_path;
        if (path.back() == '/') {
            size_t n = path.size();
            while (n > 0 && path[n - 1] == '/') --n;
            alt.assign(path.data(), n);
        } else {
            alt.assign(path.data(), path.size());
            alt.push_back('/');
        }
        // Any route whose path matches (full or partial): no method bits means every
        // path match is at least partial.
        uint32_t f2, p2;
        walk(0, {}, alt, s, f2, p2, false);
        if (f2 != kNone || p2 != kNone) {
            res.kind = MatchKind::Redirect;
            res.redirect_path = alt;
            return res;
        }
    }
    if (has_low_) {
        walk(bits, method, path, s, full, partial, true);
        if (full != kNone) {
            res.kind = MatchKind::Found;
            res.route = full;
            res.params = s.best_params.data();
            res.param_count = s.best_params.size();
            return res;
        }
    }
    res.kind = MatchKind::NotFound;
    return res;
}

}  // namespace astra
