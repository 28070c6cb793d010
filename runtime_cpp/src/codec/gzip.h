// gzip compression of whole bodies with libdeflate (the GZipMiddleware equivalent's codec).
#pragma once

#include <cstddef>
#include <string>

namespace astra::codec {

// The gzip member (RFC 1952) of `data` at `level` (libdeflate's 0-12; zlib's 1-9 mean the
// same effort). Thread-safe: each thread keeps its own compressors.
std::string gzip_compress(const char* data, size_t size, int level);

}  // namespace astra::codec
