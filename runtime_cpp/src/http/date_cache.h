// The cached `date` header value (RFC 7231 IMF-fixdate, as uvicorn sends it:
// "Tue, 24 Nov 2026 06:26:44 GMT"), refreshed at most once per second.
#pragma once

#include <ctime>
#include <string_view>

namespace astra::http {

class DateCache {
public:
    DateCache() { refresh(); }
    // Recompute if the wall-clock second changed; cheap (coarse clock, no syscall via vDSO).
    void refresh();
    std::string_view value() const { return {buf_, 29}; }

private:
    time_t second_ = -1;
    char buf_[32] = {};
};

}  // namespace astra::http
