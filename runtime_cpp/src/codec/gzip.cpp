#include "codec/gzip.h"

#include <libdeflate.h>
#include <zlib.h>

#include <array>
#include <climits>
#include <memory>
#include <new>
#include <stdexcept>

namespace astra::codec {

namespace {

constexpr int kMaxLevel = 12;

struct CompressorFree {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

libdeflate_compressor* compressor_for(int level) {
    thread_local std::array<std::unique_ptr<libdeflate_compressor, CompressorFree>, kMaxLevel + 1> compressors;
    auto& slot = compressors[static_cast<size_t>(level)];
    if (!slot) {
        slot.reset(libdeflate_alloc_compressor(level));
        if (!slot) throw std::bad_alloc();
    }
    return slot.get();
}

// zlib compresslevel -> libdeflate level (bench/gzip_levels.py prints the table this comes from).
constexpr int kLibdeflateLevelForZlib[10] = {0, 1, 1, 3, 4, 5, 6, 7, 7, 7};

}  // namespace

int libdeflate_level_for_zlib(int zlib_level) {
    if (zlib_level < 0 || zlib_level > 9) throw std::invalid_argument("gzip compresslevel must be 0 to 9");
    return kLibdeflateLevelForZlib[zlib_level];
}

size_t gzip_compress_bound(size_t size, int level) {
    if (level < 0 || level > kMaxLevel) throw std::invalid_argument("gzip level must be 0 to 12");
    return libdeflate_gzip_compress_bound(compressor_for(level), size);
}

size_t gzip_compress_into(const char* data, size_t size, int level, char* out, size_t capacity) {
    if (level < 0 || level > kMaxLevel) throw std::invalid_argument("gzip level must be 0 to 12");
    const size_t written = libdeflate_gzip_compress(compressor_for(level), data, size, out, capacity);
    if (written == 0) throw std::runtime_error("gzip compression failed");  // cannot happen with the bound
    return written;
}

void gzip_compress_append(const char* data, size_t size, int level, std::string& out) {
    const size_t at = out.size();
    out.resize(at + gzip_compress_bound(size, level));
    try {
        out.resize(at + gzip_compress_into(data, size, level, out.data() + at, out.size() - at));
    } catch (...) {
        out.resize(at);
        throw;
    }
}

std::string gzip_compress(const char* data, size_t size, int level) {
    std::string out;
    gzip_compress_append(data, size, level, out);
    return out;
}

GzipStream::GzipStream(int level) : zs_(new z_stream{}) {
    if (level < 0 || level > 9) {
        delete zs_;
        throw std::invalid_argument("gzip stream level must be 0 to 9");
    }
    // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
    if (deflateInit2(zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        delete zs_;
        throw std::bad_alloc();
    }
}

GzipStream::~GzipStream() {
    deflateEnd(zs_);
    delete zs_;
}

void GzipStream::run(const char* data, size_t size, int flush, std::string& out) {
    if (finished_) throw std::logic_error("gzip stream already finished");
    // zlib counts in uInt: feed huge pieces in slices.
    do {
        size_t slice = size > UINT_MAX / 2 ? UINT_MAX / 2 : size;
        zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        zs_->avail_in = static_cast<uInt>(slice);
        int mode = slice == size ? flush : Z_NO_FLUSH;
        for (;;) {
            size_t at = out.size();
            size_t room = deflateBound(zs_, zs_->avail_in) + 64;
            out.resize(at + room);
            zs_->next_out = reinterpret_cast<Bytef*>(out.data() + at);
            zs_->avail_out = static_cast<uInt>(room);
            int rc = deflate(zs_, mode);
            out.resize(at + (room - zs_->avail_out));
            if (rc == Z_STREAM_ERROR) throw std::runtime_error("gzip stream: deflate failed");
            if (rc == Z_STREAM_END) break;
            if (zs_->avail_in == 0 && zs_->avail_out != 0) break;  // all input taken, output flushed
        }
        data += slice;
        size -= slice;
    } while (size);
    if (flush == Z_FINISH) finished_ = true;
}

void GzipStream::write(const char* data, size_t size, std::string& out) { run(data, size, Z_SYNC_FLUSH, out); }

void GzipStream::finish(std::string& out) { run("", 0, Z_FINISH, out); }

}  // namespace astra::codec
