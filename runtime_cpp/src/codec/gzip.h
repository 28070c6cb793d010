// gzip compression: whole bodies with libdeflate (fast, one call), streamed bodies with zlib
// (libdeflate has no streaming API; zlib is the system's, found by CMake's FindZLIB).
#pragma once

#include <cstddef>
#include <string>

typedef struct z_stream_s z_stream;

namespace astra::codec {

// The gzip member (RFC 1952) of `data` at `level` (libdeflate's 0-12; zlib's 1-9 mean the
// same effort). Thread-safe: each thread keeps its own compressors.
std::string gzip_compress(const char* data, size_t size, int level);
// The same, appended to `out` (no temporary string).
void gzip_compress_append(const char* data, size_t size, int level, std::string& out);

// One gzip member produced piece by piece (zlib deflate, window 15, memLevel 8): what
// Starlette's GZipMiddleware does for a streamed body. write() compresses a piece and
// flushes it (Z_SYNC_FLUSH), so each piece's bytes leave at once; finish() ends the member.
class GzipStream {
public:
    explicit GzipStream(int level);  // zlib's 0-9; throws std::invalid_argument / std::bad_alloc
    ~GzipStream();
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;

    void write(const char* data, size_t size, std::string& out);
    void finish(std::string& out);
    bool finished() const { return finished_; }

private:
    void run(const char* data, size_t size, int flush, std::string& out);
    z_stream* zs_;
    bool finished_ = false;
};

}  // namespace astra::codec
