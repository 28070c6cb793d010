// Standard reason phrases (RFC 9110 names, as Python 3.13's http.HTTPStatus spells them).
// The Python binding replaces them with the running interpreter's http.HTTPStatus phrases so
// the status line is byte-identical to uvicorn's on that interpreter (3.11 says
// "Unprocessable Entity" where 3.13 says "Unprocessable Content").
#pragma once

#include <string_view>

namespace astra::http {

// The phrase for a status code, or "" when the code has none (uvicorn then sends
// "HTTP/1.1 599 \r\n").
std::string_view default_reason_phrase(int status);

}  // namespace astra::http
