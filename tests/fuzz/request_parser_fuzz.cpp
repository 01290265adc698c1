// fuzz_request_parser: the request parser fed a byte stream the way a connection reads it.
//
// Input: [profile] [n] [n arrival sizes, one byte each] [the stream]
//   profile bits 0-1  limits: default (8192/16384/100/1 MiB), tiny (64/256/8/64),
//                     small (256/1024/16/1024), default without a body (max_body_bytes 0)
//           bit 2     pools.buffer_bytes 1024 instead of 4096
//           bits 3-4  the route's max_body_bytes: none, 1, 100, 1 MiB (above a small global)
//           bit 5     the route streams its body (its handler takes it piece by piece)
//   n                 arrivals (mod 32): the stream reaches the socket in pieces of these sizes,
//                     then the rest at once. A size byte b is b bytes below 192 (0 counts as 1),
//                     (b - 191) * 64 from 192 on: exact cuts where requests are small, reach
//                     where they are not.
// tests/fuzz/make_seeds.py writes seeds in this format.
//
// The stream is read by a ConnectionModel (connection_model.hpp: the real RequestInput, parser
// and exchange driven as Http1Session drives them, with their invariants checked at every step) in
// three ways: arriving in the fuzzed pieces, arriving at once, and (up to 2 KiB) arriving one byte
// at a time, the cut that puts every parser state at the end of a read. How TCP cuts a stream must
// not change what is served (a streamed body counts as its pieces put together): every
// reading must serve the same requests (method, target, version, fields, body) and all refuse or
// none. Only a refusal for a size limit (414, 431, 413) may come earlier in one reading than in
// another (a bound on what is buffered depends on how much arrived at once), and an error in a
// request the stream leaves unfinished may be found in one reading only; the requests before must
// still be the same.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/connection_model.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using surge::detail::RequestError;
using surge::fuzz::ModelLimits;
using surge::fuzz::Outcome;
using surge::fuzz::ServedRequest;

ModelLimits limits_of(std::uint8_t profile) {
  ModelLimits limits;
  switch (profile & 3) {
    case 0:
      limits.parser = {8192, 16384, 100, 1 << 20};
      break;
    case 1:
      limits.parser = {64, 256, 8, 64};
      break;
    case 2:
      limits.parser = {256, 1024, 16, 1024};
      break;
    default:
      limits.parser = {8192, 16384, 100, 0};
      break;
  }
  limits.buffer_bytes = (profile & 4) != 0 ? 1024 : 4096;
  static constexpr std::uint64_t kRouteLimits[] = {0, 1, 100, 1 << 20};
  limits.route_max_body_bytes = kRouteLimits[(profile >> 3) & 3];
  limits.route_streams_body = (profile & 0x20) != 0;
  return limits;
}

bool is_size_limit(RequestError e) {
  return e == RequestError::kRequestLineTooLong || e == RequestError::kHeaderTooLarge ||
         e == RequestError::kTooManyHeaders || e == RequestError::kBodyTooLarge ||
         e == RequestError::kRouteBodyTooLarge;
}

std::string describe(const Outcome& o) {
  std::string out = std::to_string(o.served.size()) + " served";
  for (const ServedRequest& r : o.served) {
    out += " [" + r.method + " " + r.target.substr(0, 60) + " HTTP/1." +
           std::to_string(r.version % 10) + ", " + std::to_string(r.headers.size()) +
           " fields, body " + std::to_string(r.body.size()) + " bytes]";
  }
  out += ", then ";
  if (o.error != RequestError::kNone) {
    out += "refused: " + std::string(surge::detail::info(o.error).message);
  } else if (o.closed_by_response) {
    out += "closed by a response";
  } else {
    out += o.partial ? "the stream ended inside a request" : "the stream ended";
  }
  return out;
}

// Checks that two readings of one stream served the same requests (see the top of the file).
void compare(const Outcome& a, const char* a_name, const Outcome& b, const char* b_name) {
  const std::string both =
      std::string(a_name) + ": " + describe(a) + "\n==surge-fuzz== " + b_name + ": " + describe(b);
  if (is_size_limit(a.error) || is_size_limit(b.error)) {
    const std::size_t common = std::min(a.served.size(), b.served.size());
    for (std::size_t i = 0; i < common; ++i)
      SURGE_FUZZ_CHECK_MSG(a.served[i] == b.served[i], both);
    return;
  }
  SURGE_FUZZ_CHECK_MSG(a.served == b.served, both);
  const bool a_refused = a.error != RequestError::kNone;
  const bool b_refused = b.error != RequestError::kNone;
  if (a.partial || b.partial) {
    // Beast parses the fields that are there as soon as they arrive, but once it had to wait it
    // waits for the end of the header section: an error in a header the client never finished is
    // found or not depending on the cuts. Not served either way.
    SURGE_FUZZ_CHECK_MSG((a.partial || a_refused) && (b.partial || b_refused), both);
    return;
  }
  SURGE_FUZZ_CHECK_MSG(a_refused == b_refused, both);
}

Outcome read(const ModelLimits& limits, std::string_view stream,
             std::span<const std::size_t> arrivals) {
  surge::fuzz::ConnectionModel connection(limits, stream);
  return connection.run(arrivals);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ModelLimits limits = limits_of(data[0]);
  std::size_t count = data[1] % 32;
  std::size_t pos = 2;
  std::vector<std::size_t> arrivals;
  for (; count > 0 && pos < size; --count, ++pos) {
    arrivals.push_back(data[pos] < 192 ? data[pos] : (data[pos] - 191u) * 64);
  }
  const std::string_view stream(reinterpret_cast<const char*>(data) + pos, size - pos);

  const Outcome pieces = read(limits, stream, arrivals);
  const Outcome at_once = read(limits, stream, {});
  compare(pieces, "in pieces", at_once, "at once");
  constexpr std::size_t kByteByByteMax = 2048;
  if (stream.size() <= kByteByByteMax) {
    static const std::vector<std::size_t> kSingleBytes(kByteByByteMax, 1);
    compare(read(limits, stream, kSingleBytes), "byte by byte", at_once, "at once");
  }
  return 0;
}
