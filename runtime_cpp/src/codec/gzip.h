// gzip compression: whole bodies with libdeflate (fast, one call), streamed bodies with zlib
// (libdeflate has no streaming API; zlib is the system's, found by CMake's FindZLIB).
#pragma once

#include <cstddef>
#include <string>

typedef struct z_stream_s z_stream;

namespace astra::codec {

// The libdeflate level that stands for zlib's compresslevel `zlib_level` (0-9: GZipMiddleware's
// compresslevel, the server's gzip_level): the cheapest level whose output is no larger than
// zlib's at that level on the gzip corpus (bench/gzip_corpus.py, measured by bench/gzip_levels.py,
// checked by tests/runtime/test_gzip_levels.py, reasons in docs/compat-differences.md). The same
// number is not the same effort: libdeflate's 8 and 9 cost 1.7-1.9 times its 7 on a 10 KB body
// for 1-1.5% smaller output, and its 7 is already smaller than zlib's 9. Throws std::invalid_argument
// outside 0-9.
int libdeflate_level_for_zlib(int zlib_level);

// The gzip member (RFC 1952) of `data` at libdeflate's `level` (0-12; see
// libdeflate_level_for_zlib for a zlib compresslevel). Thread-safe: each thread keeps one
// compressor per level, made on first use.
std::string gzip_compress(const char* data, size_t size, int level);
// The same, appended to `out` (no temporary string).
void gzip_compress_append(const char* data, size_t size, int level, std::string& out);
// The most bytes gzip_compress_into may write for `size` bytes at `level`.
size_t gzip_compress_bound(size_t size, int level);
// The same, into out[0, capacity) (capacity >= gzip_compress_bound): the bytes written.
size_t gzip_compress_into(const char* data, size_t size, int level, char* out, size_t capacity);

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
