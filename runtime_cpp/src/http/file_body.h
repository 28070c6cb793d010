// A response body that comes from a file: sent with sendfile(2) from the page cache, never
// read into Python. StaticFiles and FileResponse hand the server an open descriptor and the
// byte ranges to send (one for a whole file or a single range; several, each after its
// multipart/byteranges part header, for a multi-range answer), plus bytes to send at the end.
//
// The server calls pump() whenever the connection's own output buffer is empty and the socket
// is writable. pump() writes until the socket would block (Again: wait for EPOLLOUT), the body
// is complete (Done), or the transfer cannot go on (Error: a socket error, or the file is
// shorter than announced -- then the framing is broken and the connection must be closed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace astra::http {

struct FileSegment {
    std::string before;  // bytes sent before the range (a multipart part header; often empty)
    uint64_t offset = 0;
    uint64_t length = 0;
};

class FileBody {
public:
    enum class Step { Done, Again, Error };

    // Takes ownership of `fd` (closed by the destructor).
    FileBody(int fd, std::vector<FileSegment> segments, std::string tail);
    ~FileBody();
    FileBody(const FileBody&) = delete;
    FileBody& operator=(const FileBody&) = delete;

    // The number of bytes this body puts on the wire in all.
    static uint64_t wire_length(const std::vector<FileSegment>& segments, const std::string& tail);

    // Write to the non-blocking socket `sock`; `progressed` is set when any byte went out.
    Step pump(int sock, bool& progressed);
    // errno-style reason of the last Error (0: the file was shorter than announced).
    int error() const { return error_; }

private:
    bool send_bytes(int sock, const std::string& bytes, size_t& done, bool& progressed, Step& step);

    int fd_;
    std::vector<FileSegment> segments_;
    std::string tail_;
    size_t index_ = 0;        // the segment being sent
    size_t before_done_ = 0;  // bytes of its `before` already sent
    uint64_t sent_ = 0;       // bytes of its range already sent
    size_t tail_done_ = 0;
    int error_ = 0;
};

}  // namespace astra::http
