#include "codec/gzip.h"

#include <libdeflate.h>

#include <array>
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

}  // namespace

std::string gzip_compress(const char* data, size_t size, int level) {
    if (level < 0 || level > kMaxLevel) throw std::invalid_argument("gzip level must be 0 to 12");
    libdeflate_compressor* compressor = compressor_for(level);
    std::string out(libdeflate_gzip_compress_bound(compressor, size), '\0');
    const size_t written = libdeflate_gzip_compress(compressor, data, size, out.data(), out.size());
    if (written == 0) throw std::runtime_error("gzip compression failed");  // cannot happen with the bound
    out.resize(written);
    return out;
}

}  // namespace astra::codec
