#include "http/request_line.hpp"

#include <cstring>
#include <string_view>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

constexpr std::string_view kVersionPattern = "HTTP/d.d";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
// What Beast accepts in a target: any octet but controls, space and DEL (check_target then
// applies RFC 3986 to it).
bool is_target_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}

}  // namespace

RequestError RequestLineCheck::feed(char* line, std::size_t available, std::size_t max_length,
                                    bool& complete) {
  complete = false;
  for (; scanned_ < available; ++scanned_) {
    const char c = line[scanned_];
    const std::size_t at = scanned_ - part_start_;  // position within the current part
    switch (part_) {
      case Part::kMethod:
        if (c == ' ' && at > 0) {
          part_ = Part::kTarget;
          part_start_ = scanned_ + 1;
        } else if (!is_tchar(c)) {
          return RequestError::kBadMethod;
        } else if (at == kMaxMethodToken) {
          return RequestError::kMethodNotImplemented;
        }
        break;
      case Part::kTarget:
        if (c == ' ' && at > 0) {
          part_ = Part::kVersion;
          part_start_ = scanned_ + 1;
        } else if (!is_target_char(c)) {
          return c == ' ' ? RequestError::kBadRequestLine : RequestError::kBadTarget;
        }
        break;
      case Part::kVersion:
        if (at == kVersionPattern.size()) {
          if (c != '\r') return RequestError::kBadRequestLine;
          part_ = Part::kLineFeed;
        } else if (kVersionPattern[at] == 'd' ? !is_digit(c) : c != kVersionPattern[at]) {
          return at < 5 && c == '\r' ? RequestError::kBadRequestLine : RequestError::kBadVersion;
        }
        break;
      case Part::kLineFeed:
        if (c != '\n') return RequestError::kBadLineEnding;
        ++scanned_;
        if (scanned_ - 2 > max_length) return RequestError::kRequestLineTooLong;
        complete = true;
        return finish(line);
    }
    if (scanned_ + 1 > max_length + 2) return RequestError::kRequestLineTooLong;
  }
  return RequestError::kNone;
}

RequestError RequestLineCheck::finish(char* line) {
  char* version = line + part_start_;
  if (version[5] != '1') {
    return std::string_view(line, 4) == "PRI " ? RequestError::kHttp2Preface
                                               : RequestError::kVersionNotSupported;
  }
  // A higher HTTP/1.x minor is served as HTTP/1.1, which Beast cannot parse: rewrite the digit.
  if (version[7] > '1') version[7] = '1';
  return RequestError::kNone;
}

}  // namespace surge::detail
