// The route matcher: walks an astra_trie_table (runtime_cpp/include/astraapi/trie.h).
//
// Matching (FastAPI/Starlette semantics): the decoded path must start with '/'; the part after
// the leading '/' is split on '/' ("/" -> [""], "/a/" -> ["a", ""]). A depth-first walk over
// static children (binary search; edges are sorted by (length, bytes)) and then parameter
// children finds the lowest-index route whose path and method match (FULL) and the
// lowest-index route whose path matches but method does not (PARTIAL); subtrees whose
// min_route cannot beat the best full match are pruned. Parameter kinds follow Starlette's
// convertor regexes; a path parameter consumes one or more whole segments (possibly one
// empty segment), longest first, which is what the greedy `.*` does in Starlette's regex.
// Result: FULL -> Found; else PARTIAL -> MethodNotAllowed (with that route's Allow);
// else, with redirect_slashes and path != "/", the path with its trailing slash toggled
// (trailing slashes stripped with rstrip('/'), or one appended) matching any route (full
// or partial) -> Redirect; else a low-priority route (ASTRA_M_LOW) matching -> Found; else
// NotFound. Low-priority routes take no part before that last step. A route with ASTRA_M_ANY
// matches every method (a mount).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "astraapi/trie.h"

namespace astra {

enum class MatchKind : int { Found = 0, MethodNotAllowed = 1, Redirect = 2, NotFound = 3 };

// Scratch space reused across matches: after warm-up, match() does not allocate.
struct MatchScratch {
    std::vector<std::string_view> segments;
    std::vector<std::string_view> params;       // the walk's current parameter stack
    std::vector<std::string_view> best_params;  // the parameters of the best full match
    std::string redirect_path;                  // the toggled path, for Redirect
};

struct MatchResult {
    MatchKind kind = MatchKind::NotFound;
    uint32_t route = 0;               // Found / MethodNotAllowed
    std::string_view allow;           // MethodNotAllowed: the route's Allow header value
    const std::string_view* params = nullptr;  // Found: views into the matched path
    size_t param_count = 0;
    std::string_view redirect_path;   // Redirect: view into scratch.redirect_path
};

// One route as given to from_tables (owning form of astra_trie_route).
struct RouteSpec {
    uint32_t methods = 0;
    std::string allow;
    uint32_t param_count = 0;
};

class Trie {
public:
    // Owning copies (dynamic mode / tests). Throws std::invalid_argument on a malformed table.
    static std::shared_ptr<Trie> from_tables(const std::vector<astra_trie_node>& nodes,
                                             const std::vector<std::pair<std::string, uint32_t>>& edges,
                                             const std::vector<astra_trie_param_edge>& param_edges,
                                             const std::vector<uint32_t>& node_routes,
                                             const std::vector<RouteSpec>& routes, bool redirect_slashes);
    // Borrowed const tables (compiled mode); `owner` keeps the memory alive (e.g. the dlopen
    // handle). Validated like from_tables; throws std::invalid_argument.
    static std::shared_ptr<Trie> borrow(const astra_trie_table* table, std::shared_ptr<void> owner);

    // `method_bits`: one astra_method_bit (0 for a method no route can have); `method`: the request's
    // method, read only when `method_bits` is ASTRA_M_OTHER (an extension method such as QUERY).
    MatchResult match(uint32_t method_bits, std::string_view path, MatchScratch& scratch,
                      std::string_view method = {}) const;

    const astra_trie_table& table() const { return table_; }
    uint32_t route_count() const { return table_.route_count; }

    // "GET" -> ASTRA_M_GET ...; ASTRA_M_OTHER for any other method, 0 for none (case-sensitive, as HTTP
    // methods are).
    static uint32_t method_bit(std::string_view method);

    struct Storage;  // owning copies (from_tables)

private:
    Trie() = default;
    static void validate(const astra_trie_table& t);
    bool walk(uint32_t method_bits, std::string_view method, std::string_view path, MatchScratch& s,
              uint32_t& best_full, uint32_t& best_partial, bool low) const;
    void note_low_routes();

    astra_trie_table table_{};
    std::shared_ptr<void> owner_;
    std::shared_ptr<Storage> storage_;
    bool has_low_ = false;  // some route has ASTRA_M_LOW: a second, low-priority pass
};

}  // namespace astra
