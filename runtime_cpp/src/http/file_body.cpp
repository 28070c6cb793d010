#include "file_body.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace astra::http {

namespace {
// One sendfile call asks for at most this much: the kernel stops at the socket buffer anyway,
// and a bounded count keeps one connection from monopolising a poll() round.
constexpr uint64_t kMaxSendfile = 4 * 1024 * 1024;
}  // namespace

FileBody::FileBody(int fd, std::vector<FileSegment> segments, std::string tail)
    : fd_(fd), segments_(std::move(segments)), tail_(std::move(tail)) {}

FileBody::~FileBody() {
    if (fd_ >= 0) ::close(fd_);
}

uint64_t FileBody::wire_length(const std::vector<FileSegment>& segments, const std::string& tail) {
    uint64_t n = tail.size();
    for (const FileSegment& s : segments) n += s.before.size() + s.length;
    return n;
}

bool FileBody::send_bytes(int sock, const std::string& bytes, size_t& done, bool& progressed, Step& step) {
    while (done < bytes.size()) {
        ssize_t n = ::send(sock, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
            progressed = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            step = Step::Again;
        } else {
            error_ = errno;
            step = Step::Error;
        }
        return false;
    }
    return true;
}

FileBody::Step FileBody::pump(int sock, bool& progressed) {
    Step step = Step::Done;
    while (index_ < segments_.size()) {
        FileSegment& seg = segments_[index_];
        if (!send_bytes(sock, seg.before, before_done_, progressed, step)) return step;
        while (sent_ < seg.length) {
            off_t off = static_cast<off_t>(seg.offset + sent_);
            uint64_t want = seg.length - sent_;
            if (want > kMaxSendfile) want = kMaxSendfile;
            ssize_t n = ::sendfile(sock, fd_, &off, static_cast<size_t>(want));
            if (n > 0) {
                sent_ += static_cast<uint64_t>(n);
                progressed = true;
                continue;
            }
            if (n == 0) {  // end of file before the announced length: the file shrank
                error_ = 0;
                return Step::Error;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return Step::Again;
            error_ = errno;
            return Step::Error;
        }
        ++index_;
        before_done_ = 0;
        sent_ = 0;
    }
    if (!send_bytes(sock, tail_, tail_done_, progressed, step)) return step;
    return Step::Done;
}

}  // namespace astra::http
