#include "json/float_format.h"

#include <charconv>
#include <cstring>

namespace astra::json {

std::size_t format_double(double value, int style, char* out) {
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
