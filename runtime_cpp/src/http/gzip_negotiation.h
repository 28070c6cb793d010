// gzip negotiation (gzip_negotiation.cpp), also bound for tests as _runtime.gzip_negotiate
// and _runtime.gzip_excluded_type.
#pragma once

#include <string_view>

namespace astra::http {

// RFC 9110 12.5.3 negotiation of gzip from the joined Accept-Encoding values: 0: not acceptable
// (or identity preferred), 1: gzip acceptable, 2: gzip acceptable and identity refused.
int gzip_negotiate(std::string_view accept_encoding);
// A media type not worth compressing (images but SVG/ICO/BMP, audio, video, archives, fonts in
// compressed formats, octet-stream, gRPC) or never to be (text/event-stream). `content_type` is
// the whole header value.
bool gzip_excluded_type(std::string_view content_type);

}  // namespace astra::http
