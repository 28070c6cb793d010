// WebSocket protocol (RFC 6455), server side: the opening handshake's Sec-WebSocket-Accept
// (SHA-1 + base64, implemented here: the runtime links no crypto library), and a frame parser
// that turns client bytes into whole messages plus the control replies the server owes.
//
// The server core (server.cpp) owns the socket; a Session only transforms bytes: feed() takes
// what the client sent and appends to `out` what must be written back (pong, close). It knows
// nothing about Python: whole messages wait in `inbox` until the application takes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace astra::http::ws {

// Opcodes (RFC 6455 5.2).
enum : uint8_t { kCont = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA };

// Close codes the server uses (RFC 6455 7.4.1).
enum : uint16_t {
    kNormal = 1000,
    kGoingAway = 1001,
    kProtocolError = 1002,
    kNoStatus = 1005,     // never sent: what the application hears for a close frame without a code
    kAbnormal = 1006,     // never sent: the connection dropped without a close frame
    kInvalidData = 1007,  // a text message (or close reason) that is not UTF-8
    kTooBig = 1009,
    kInternalError = 1011,
    kServiceRestart = 1012,
};

void sha1(const void* data, size_t len, uint8_t out[20]);
std::string base64_encode(const uint8_t* data, size_t len);
// Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 4.2.1).
bool valid_client_key(std::string_view key);
// base64(sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
std::string accept_key(std::string_view client_key);
bool valid_utf8(const char* data, size_t len);

// One server frame (FIN set, never masked) appended to `out`.
void append_frame(std::string& out, uint8_t opcode, const char* data, size_t len);
// A close frame: code (omitted when 0) and a reason cut to the 123 bytes a control frame allows.
void append_close(std::string& out, uint16_t code, std::string_view reason);

struct Message {
    uint8_t kind = 0;   // kText, kBinary, or kClose (the last message: the connection is over)
    uint16_t code = 0;  // kClose: the close code
    std::string data;   // the payload; kClose: the reason
};

class Session {
public:
    explicit Session(size_t max_message) : max_message_(max_message) {}

    // Parse client bytes. Replies go to `out`. Returns false once the connection must close
    // after `out` is flushed: the close handshake completed, or the client broke the protocol
    // (then a close frame with the error's code was queued and `inbox` ends with a kClose).
    bool feed(const char* data, size_t len, std::string& out);

    // The application closes: a close frame now; the TCP connection closes once the client's
    // close frame arrives (or the server's close timeout passes).
    void close(std::string& out, uint16_t code, std::string_view reason);
    // The connection is gone (or closed by the server): make sure the inbox ends with a kClose.
    void finish(uint16_t code);

    bool close_sent() const { return close_sent_; }
    bool close_received() const { return close_received_; }
    bool finished() const { return finished_; }

    std::deque<Message> inbox;
    size_t inbox_bytes = 0;
    uint64_t close_sent_at = 0;  // server clock, set by the caller
    // Keep-alive (uvicorn's ws_ping_interval / ws_ping_timeout), driven by the server's clock.
    uint64_t last_ping_at = 0;   // when the last keep-alive ping was sent (or the session began)
    bool ping_outstanding = false;  // cleared by any pong

private:
    bool fail(std::string& out, uint16_t code);
    bool frame(uint8_t opcode, bool fin, std::string_view payload, std::string& out);

    size_t max_message_;
    std::string buf_;           // bytes of an incomplete frame
    std::string message_;       // fragments of the message being assembled
    uint8_t message_op_ = 0;    // its opcode; 0: none in progress
    bool close_sent_ = false;
    bool close_received_ = false;
    bool finished_ = false;     // inbox holds the final kClose
};

}  // namespace astra::http::ws
