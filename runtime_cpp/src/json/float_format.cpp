#include "json/float_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace astra::json {

namespace {

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr double kTwo50 = 1125899906842624.0;  // 2**50

// The common case, without to_chars: a value in [1e-4, 2**50) that k <= 15 decimals spell
// exactly enough to round-trip (prices, 0.5, 3.0, 1.25 ...). For the smallest such k, m =
// round(|value| * 10**k) is the one integer whose m / 10**k (both exact doubles, so the
// division rounds correctly) gives the value back: below 2**50 the neighbours of m are too far
// apart to round to the same double. No shorter spelling round-trips (it would have been found
// at a smaller k) and m has no trailing zero, so "m with the point k digits from the right" is
// the shortest round-trip text, the one repr() and pydantic print in fixed notation, which both
// use for this range. Returns 0 when the value is not such a case.
std::size_t format_short_fixed(double value, char* out) {
    const double a = std::fabs(value);
    if (!(a >= 1e-4) || !(a < kTwo50)) return 0;
    for (int k = 0; k < 16; ++k) {
        const double scaled = a * kPow10[k];
        if (scaled >= kTwo50) return 0;
        // The nearest integer (a tie cannot round-trip here, so how ties go does not matter;
        // adding 0.5 is exact below 2**50): no libm call.
        const double m = static_cast<double>(static_cast<std::int64_t>(scaled + 0.5));
        if (m / kPow10[k] != a) continue;
        // m < 2**50 has nd <= 16 digits; the text is [-]ddd.0 (k = 0), [-]ddd.ddd (nd > k) or
        // [-]0.000ddd, written from the right.
        std::uint64_t u = static_cast<std::uint64_t>(m);
        int nd = 1;
        while (nd < 16 && m >= kPow10[nd]) ++nd;
        const int sign = std::signbit(value) ? 1 : 0;
        const int length = sign + (k == 0 ? nd + 2 : (nd > k ? nd + 1 : k + 2));
        char* o = out + length;
        if (k == 0) {
            *--o = '0';
            *--o = '.';
        }
        for (int i = 0; i < nd; ++i) {
            if (i == k && k > 0) *--o = '.';
            *--o = static_cast<char>('0' + u % 10);
            u /= 10;
        }
        if (k >= nd) {  // 0.000ddd
            for (int i = nd; i < k; ++i) *--o = '0';
            *--o = '.';
            *--o = '0';
        }
        if (sign) *--o = '-';
        return static_cast<std::size_t>(length);
    }
    return 0;
}

}  // namespace

std::size_t format_double(double value, int style, char* out) {
    if (value == 0.0) {
        if (std::signbit(value)) {
            std::memcpy(out, "-0.0", 4);
            return 4;
        }
        std::memcpy(out, "0.0", 3);
        return 3;
    }
    if (const std::size_t n = format_short_fixed(value, out)) return n;
    // Shortest round-trip digits in scientific form: "-d.ddde+XX" (to_chars without a
    // precision gives the shortest representation for the requested format).
    char sci[kFloatBufSize];
    const auto res = std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific);
    const char* p = sci;
    const char* const end = res.ptr;

    char* o = out;
    if (*p == '-') {
        *o++ = '-';
        ++p;
    }
    char digits[24];
    int nd = 0;
    while (p < end && *p != 'e') {
        if (*p != '.') digits[nd++] = *p;
        ++p;
    }
    int exp = 0;
    if (p < end) {  // 'e', sign, digits
        ++p;
        const bool neg_exp = (*p == '-');
        ++p;
        while (p < end) exp = exp * 10 + (*p++ - '0');
        if (neg_exp) exp = -exp;
    }

    const int low = (style == ASTRA_FLOAT_PYDANTIC) ? -5 : -4;
    if (exp >= low && exp < 16) {
        const int decpt = exp + 1;  // digits before the decimal point
        if (decpt <= 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -decpt; ++i) *o++ = '0';
            std::memcpy(o, digits, nd);
            o += nd;
        } else if (decpt >= nd) {
            std::memcpy(o, digits, nd);
            o += nd;
            for (int i = nd; i < decpt; ++i) *o++ = '0';
            *o++ = '.';
            *o++ = '0';
        } else {
            std::memcpy(o, digits, decpt);
            o += decpt;
            *o++ = '.';
            std::memcpy(o, digits + decpt, nd - decpt);
            o += nd - decpt;
        }
        return static_cast<std::size_t>(o - out);
    }

    *o++ = digits[0];
    if (nd > 1) {
        *o++ = '.';
        std::memcpy(o, digits + 1, nd - 1);
        o += nd - 1;
    }
    *o++ = 'e';
    *o++ = exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a >= 100) {
        *o++ = static_cast<char>('0' + a / 100);
        *o++ = static_cast<char>('0' + (a / 10) % 10);
        *o++ = static_cast<char>('0' + a % 10);
    } else if (a >= 10 || style == ASTRA_FLOAT_PYTHON) {
        *o++ = static_cast<char>('0' + a / 10);
        *o++ = static_cast<char>('0' + a % 10);
    } else {
        *o++ = static_cast<char>('0' + a);
    }
    return static_cast<std::size_t>(o - out);
}

}  // namespace astra::json
