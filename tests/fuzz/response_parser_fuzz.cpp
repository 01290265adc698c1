// fuzz_response_parser: an upstream's byte stream read as the proxy reads its responses.
//
// Input: [profile] [n] [n arrival sizes, one byte each] [the stream]
//   profile bit 0     the request was HEAD
//           bit 1     the request asked for Upgrade (a 101 may answer it)
//           bits 2-3  limits: default (16384 bytes, 100 fields), tiny (64, 4), small (512, 16),
//                     default
//           bit 4     the upstream closes the connection after the stream (on_eof)
//           bit 5     the reader keeps every byte, instead of discarding the head once taken and
//                     every byte before each body piece it took
//   n                 arrivals (mod 32), read as fuzz_request_parser reads them: a size byte b is
//                     b bytes below 192 (0 counts as 1), (b - 191) * 64 from 192 on, then the rest
// tests/fuzz/make_seeds.py writes seeds in this format.
//
// The reader is the proxy's: 1xx responses each with their own parser, then the final one; its
// head taken at header time, its body pieces as they come. Checked at every step: never more
// consumed than given, spans inside what was consumed, body bytes never beyond a Content-Length,
// a head that fits its framing, reusable() only for a complete, delimited, keep-alive response.
// Checked at the end: every body equals what the simplest decoder of RFC 9112 6.3 and 7.1 makes
// of the same stream (a prefix of it while the response is unfinished); and the stream read in the
// fuzzed pieces, at once and (up to 2 KiB) a byte at a time gives the same responses, the same
// verdict and the same bytes left over. As in fuzz_request_parser, only a size limit (or an error
// in a header the stream never finished) may be found in one reading and not in another.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/error.hpp>

#include "fuzz/fuzz_check.hpp"
#include "http/grammar.hpp"
#include "http/response_parser.hpp"

namespace {

using surge::detail::ResponseBody;
using surge::detail::UpstreamError;

struct Profile {
  surge::detail::ResponseTo request;
  surge::detail::ResponseLimits limits;
  bool eof = false;
  bool keep_all = false;
};

Profile profile_of(std::uint8_t bits) {
  Profile p;
  p.request.head = (bits & 1) != 0;
  p.request.upgrade = (bits & 2) != 0;
  static constexpr std::pair<std::size_t, std::size_t> kLimits[] = {
      {16384, 100}, {64, 4}, {512, 16}, {16384, 100}};
  p.limits.max_header_bytes = kLimits[(bits >> 2) & 3].first;
  p.limits.max_header_count = kLimits[(bits >> 2) & 3].second;
  p.eof = (bits & 0x10) != 0;
  p.keep_all = (bits & 0x20) != 0;
  return p;
}

struct Response {
  std::uint16_t status = 0;
  std::uint8_t version = 0;
  bool keep_alive = false;
  ResponseBody body_kind = ResponseBody::kNone;
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool transfer_coded = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t body_start = 0;  // offset in the stream of the byte after the header section
  std::string body;            // the pieces, concatenated
  bool complete = false;
  bool reusable = false;
  bool operator==(const Response&) const = default;
};

struct Outcome {
  std::vector<Response> responses;  // the interim ones, then the final one once its header came
  UpstreamError error = UpstreamError::kNone;
  bool unfinished = false;  // the stream ended inside a response, and no close was seen
  std::string rest;         // after a complete final response: a tunnel's bytes, or unexplained
};

// Reads `stream` arriving in `arrivals` (then the rest at once) as the proxy does.
Outcome read(const Profile& profile, std::string_view stream,
             std::span<const std::size_t> arrivals) {
  Outcome out;
  std::vector<surge::detail::HeaderEntry> table(profile.limits.max_header_count);
  std::optional<surge::detail::ResponseParser> parser;
  parser.emplace(profile.limits, table.data(), profile.request);
  std::string buffer;
  std::size_t pos = 0;      // the parse position in buffer
  std::size_t dropped = 0;  // stream bytes discarded from the front of buffer
  std::size_t fed = 0;
  bool in_response = false;  // the current response's head was taken
  bool final_done = false;
  auto discard = [&] {
    if (profile.keep_all) return;
    buffer.erase(0, pos);
    dropped += pos;
    pos = 0;
  };
  for (std::size_t next = 0; fed < stream.size(); ++next) {
    const std::size_t want =
        next < arrivals.size() ? std::max<std::size_t>(arrivals[next], 1) : stream.size();
    const std::size_t n = std::min(want, stream.size() - fed);
    buffer.append(stream.substr(fed, n));
    fed += n;
    while (true) {
      boost::system::error_code ec;
      const std::size_t begin = pos;
      const std::size_t used = parser->parse(buffer.data(), pos, buffer.size(), ec);
      SURGE_FUZZ_CHECK(used <= buffer.size() - begin);
      pos += used;
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) {
        out.error = surge::detail::classify_upstream(ec);
        SURGE_FUZZ_CHECK(out.error != UpstreamError::kNone);
        return out;
      }
      if (final_done) break;  // the rest is the tunnel's, or unexplained: parse() only noted it
      const surge::detail::Span piece = parser->body_piece();
      SURGE_FUZZ_CHECK(piece.size == 0 ||
                       (piece.offset >= begin && piece.offset + piece.size <= pos));
      if (parser->header_done() && !in_response) {
        const surge::detail::ResponseHead& head = parser->head();
        Response r{head.status,
                   head.version,
                   head.keep_alive,
                   head.body,
                   head.has_content_length,
                   head.content_length,
                   head.transfer_coded,
                   {},
                   dropped + pos};
        SURGE_FUZZ_CHECK(head.status >= 100 && head.status <= 599);
        SURGE_FUZZ_CHECK(head.version == 10 || head.version == 11);
        SURGE_FUZZ_CHECK(head.body == ResponseBody::kNone ||
                         (!profile.request.head && head.status >= 200 && head.status != 204 &&
                          head.status != 304));
        SURGE_FUZZ_CHECK(head.body != ResponseBody::kUntilClose || !head.keep_alive);
        SURGE_FUZZ_CHECK(head.status != 101 || profile.request.upgrade);
        SURGE_FUZZ_CHECK(head.header_count <= profile.limits.max_header_count);
        for (std::size_t i = 0; i < head.header_count; ++i) {
          const surge::detail::HeaderEntry& h = table[i];
          SURGE_FUZZ_CHECK(h.name.offset + h.name.size <= pos &&
                           h.value.offset + h.value.size <= pos);
          r.headers.emplace_back(h.name.in(buffer.data()), h.value.in(buffer.data()));
        }
        out.responses.push_back(std::move(r));
        in_response = true;
        discard();
      }
      if (piece.size > 0) {
        Response& r = out.responses.back();
        r.body.append(piece.in(buffer.data()));
        SURGE_FUZZ_CHECK(r.body.size() == parser->body_received());
        SURGE_FUZZ_CHECK(r.body_kind != ResponseBody::kNone);
        SURGE_FUZZ_CHECK(r.body_kind != ResponseBody::kContentLength ||
                         r.body.size() <= r.content_length);
        discard();
      }
      if (!parser->done()) continue;
      out.responses.back().complete = true;
      if (!parser->head().interim()) {
        final_done = true;
        continue;  // what follows is handed to parse() too, so a doubt about it is noted
      }
      discard();
      parser.emplace(profile.limits, table.data(), profile.request);
      in_response = false;
    }
  }
  if (!final_done && profile.eof) {
    boost::system::error_code ec;
    parser->on_eof(ec);
    out.error = surge::detail::classify_upstream(ec);
    if (!ec) {
      SURGE_FUZZ_CHECK(parser->done() &&
                       out.responses.back().body_kind == ResponseBody::kUntilClose);
      out.responses.back().complete = final_done = true;
    }
  }
  out.unfinished = !final_done && out.error == UpstreamError::kNone;
  if (final_done) {
    Response& last = out.responses.back();
    last.reusable = parser->reusable();
    out.rest = buffer.substr(pos);
    SURGE_FUZZ_CHECK(!last.reusable ||
                     (last.keep_alive && last.body_kind != ResponseBody::kUntilClose &&
                      last.status != 101 && out.rest.empty()));
    SURGE_FUZZ_CHECK(last.body_kind != ResponseBody::kContentLength ||
                     last.body.size() == last.content_length);
  }
  return out;
}

// The body of response r (it begins at r.body_start), as the simplest decoder reads it, as far
// as the stream goes.
std::string reference_body(std::string_view stream, const Response& r) {
  std::string_view s = stream.substr(r.body_start);
  switch (r.body_kind) {
    case ResponseBody::kNone:
      return {};
    case ResponseBody::kContentLength:
      return std::string(s.substr(0, r.content_length));
    case ResponseBody::kUntilClose:
      return std::string(s);
    case ResponseBody::kChunked:
      break;
  }
  std::string body;
  while (true) {
    std::uint64_t size = 0;
    std::size_t i = 0;
    for (; i < s.size() && surge::detail::hex_value(s[i]) >= 0; ++i) {
      size = size * 16 + static_cast<std::uint64_t>(surge::detail::hex_value(s[i]));
    }
    const std::size_t eol = s.find("\r\n", i);  // extensions are skipped
    if (eol == std::string_view::npos) return body;
    s.remove_prefix(eol + 2);
    if (size == 0) return body;
    body.append(s.substr(0, size));
    if (s.size() < size + 2) return body;
    s.remove_prefix(size + 2);
  }
}

void check_bodies(std::string_view stream, const Outcome& o) {
  for (const Response& r : o.responses) {
    const std::string expected = reference_body(stream, r);
    if (r.complete) {
      SURGE_FUZZ_CHECK(r.body == expected);
    } else {
      SURGE_FUZZ_CHECK(r.body.size() <= expected.size() &&
                       expected.compare(0, r.body.size(), r.body) == 0);
    }
  }
}

bool is_size_limit(UpstreamError e) {
  return e == UpstreamError::kHeaderTooLarge || e == UpstreamError::kTooManyHeaders ||
         e == UpstreamError::kChunkLineTooLong;
}

std::string describe(const Outcome& o) {
  std::string out = std::to_string(o.responses.size()) + " responses";
  for (const Response& r : o.responses) {
    out += " [" + std::to_string(r.status) + ", " + std::to_string(r.headers.size()) +
           " fields, body " + std::to_string(r.body.size()) +
           (r.complete ? " bytes, complete" : " bytes") + (r.reusable ? ", reusable]" : "]");
  }
  if (o.error != UpstreamError::kNone)
    out += ", refused: " + std::string(surge::detail::info(o.error).message);
  if (o.unfinished) out += ", unfinished";
  return out + ", " + std::to_string(o.rest.size()) + " bytes left";
}

// Two readings of one stream: the same responses and verdict (see the top of the file).
void compare(const Outcome& a, const char* a_name, const Outcome& b, const char* b_name) {
  const std::string both =
      std::string(a_name) + ": " + describe(a) + "\n==surge-fuzz== " + b_name + ": " + describe(b);
  const bool a_open = a.unfinished || a.error == UpstreamError::kPartialMessage;
  const bool b_open = b.unfinished || b.error == UpstreamError::kPartialMessage;
  const bool a_stopped = a_open || a.error != UpstreamError::kNone;
  const bool b_stopped = b_open || b.error != UpstreamError::kNone;
  if (is_size_limit(a.error) || is_size_limit(b.error) ||
      (a.error != b.error && (a_open || b_open))) {
    SURGE_FUZZ_CHECK_MSG(a_stopped && b_stopped, both);
    const std::size_t common = std::min(a.responses.size(), b.responses.size());
    for (std::size_t i = 0; i + 1 < common; ++i)
      SURGE_FUZZ_CHECK_MSG(a.responses[i] == b.responses[i], both);
    return;
  }
  SURGE_FUZZ_CHECK_MSG(a.error == b.error && a.unfinished == b.unfinished, both);
  SURGE_FUZZ_CHECK_MSG(a.responses == b.responses && a.rest == b.rest, both);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Profile profile = profile_of(data[0]);
  std::size_t count = data[1] % 32;
  std::size_t pos = 2;
  std::vector<std::size_t> arrivals;
  for (; count > 0 && pos < size; --count, ++pos) {
    arrivals.push_back(data[pos] < 192 ? data[pos] : (data[pos] - 191u) * 64);
  }
  const std::string_view stream(reinterpret_cast<const char*>(data) + pos, size - pos);

  const Outcome pieces = read(profile, stream, arrivals);
  const Outcome at_once = read(profile, stream, {});
  check_bodies(stream, pieces);
  check_bodies(stream, at_once);
  compare(pieces, "in pieces", at_once, "at once");
  constexpr std::size_t kByteByByteMax = 2048;
  if (stream.size() <= kByteByByteMax) {
    static const std::vector<std::size_t> kSingleBytes(kByteByByteMax, 1);
    const Outcome bytes = read(profile, stream, kSingleBytes);
    check_bodies(stream, bytes);
    compare(bytes, "byte by byte", at_once, "at once");
  }
  return 0;
}
