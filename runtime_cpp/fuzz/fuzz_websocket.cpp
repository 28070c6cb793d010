// libFuzzer target for the WebSocket frame parser (runtime_cpp/src/http/websocket.cpp): arbitrary
// client bytes, fed in arbitrary pieces, must never crash or leak (ASan/UBSan), and what the
// session produces must hold the protocol's invariants:
//   - the inbox holds whole text (valid UTF-8), binary or close messages, a close only last,
//     none larger than the size limit; a session that asks to close has its close message;
//   - what it writes back is a sequence of unmasked, final pong/close frames, at most one close
//     (the last), control payloads of at most 125 bytes.
// Build and run (clang with libFuzzer):
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -g -O1 -Iruntime_cpp/src \
//     runtime_cpp/fuzz/fuzz_websocket.cpp runtime_cpp/src/http/websocket.cpp -o build/fuzz_websocket
//   build/fuzz_websocket -max_total_time=60
// tests/websockets/test_fuzz_websocket.py does this for a few seconds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/websocket.h"

using namespace astra::http::ws;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

// The server's output: a sequence of frames the server may send while reading.
void check_output(const std::string& out) {
    size_t pos = 0;
    bool closed = false;
    while (pos < out.size()) {
        check(!closed);  // nothing after a close frame
        check(out.size() - pos >= 2);
        auto b0 = static_cast<unsigned char>(out[pos]), b1 = static_cast<unsigned char>(out[pos + 1]);
        check(b0 & 0x80);             // FIN
        check((b0 & 0x70) == 0);      // no RSV
        check((b1 & 0x80) == 0);      // never masked
        uint8_t opcode = b0 & 0x0F;
        check(opcode == kPong || opcode == kClose);
        size_t len = b1 & 0x7F;
        check(len <= 125);
        check(out.size() - pos - 2 >= len);
        if (opcode == kClose) {
            check(len != 1);
            closed = true;
        }
        pos += 2 + len;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    size_t max_message = (data[0] & 1) ? 64 : (1u << 20);
    size_t piece = 1 + data[1] % 97;
    data += 2;
    size -= 2;
    Session s(max_message);
    std::string out;
    bool open = true;
    for (size_t off = 0; off < size && open; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        open = s.feed(reinterpret_cast<const char*>(data) + off, n, out);
    }
    if (!open) check(s.feed("\x81\x80\0\0\0\0", 6, out) == false || !s.finished());
    for (size_t i = 0; i < s.inbox.size(); ++i) {
        const Message& m = s.inbox[i];
        check(m.kind == kText || m.kind == kBinary || m.kind == kClose);
        if (m.kind == kClose) {
            check(i + 1 == s.inbox.size());
            check(valid_utf8(m.data.data(), m.data.size()));
        } else {
            check(m.data.size() <= max_message);
        }
        if (m.kind == kText) check(valid_utf8(m.data.data(), m.data.size()));
    }
    if (!open) check(!s.inbox.empty() && s.inbox.back().kind == kClose);
    check_output(out);
    return 0;
}
