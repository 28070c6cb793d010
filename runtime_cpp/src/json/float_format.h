// Float formatting in the two styles AstraAPI must reproduce byte for byte.
//
// Both print the shortest digits that round-trip (std::to_chars); they differ in when they
// switch to exponent notation and in how the exponent is written:
//
//   ASTRA_FLOAT_PYTHON   (repr(float), json.dumps): fixed when the decimal exponent e of the
//                        first digit is in [-4, 16); otherwise d[.ddd]e+XX / e-XX with at
//                        least two exponent digits.          1e-05  0.0001  1e+16  3.0  -0.0
//   ASTRA_FLOAT_PYDANTIC (pydantic-core dump_json): fixed when e is in [-5, 16); otherwise
//                        d[.ddd]e+X / e-X, no zero padding.  0.00001  1e-6  1e+16  3.0  -0.0
//
// Fixed notation always carries a fraction (".0" for integral values).
#pragma once

#include <cstddef>

#include "astraapi/abi.h"

namespace astra::json {

// Longest output: "-" + 17 digits + "." + up to 16 zeros/digits or "e-324": well under 32.
inline constexpr std::size_t kFloatBufSize = 40;

inline bool valid_float_style(int style) {
    return style == ASTRA_FLOAT_PYTHON || style == ASTRA_FLOAT_PYDANTIC;
}

// Writes the text of a finite double into out (at least kFloatBufSize bytes, not
// NUL-terminated) and returns its length. The caller checks finiteness and the style.
std::size_t format_double(double value, int style, char* out);

}  // namespace astra::json
