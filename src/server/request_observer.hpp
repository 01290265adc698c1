#pragma once
// RequestObserver: what the metrics and the access log are told about each answered request.

#include <cstddef>
#include <cstdint>

#include "http/request_error.hpp"
#include "net/deadline_list.hpp"

namespace surge::detail {

class Exchange;

/// One answered request, as the connection saw it when the response was queued. The exchange's
/// request views are valid only during the call.
struct CompletedRequest {
  const Exchange& exchange;
  std::size_t worker;
  int status;
  std::uint64_t response_bytes;  // status line, header fields and body (or file) as sent
  std::uint64_t request_bytes;   // request line, header section and body as received
  Clock::time_point started;     // first byte of the request parsed
  Clock::time_point finished;    // response queued for writing
  RequestError error;            // kNone, or why the engine refused the request itself
};

/// Built once, shared by every worker; on_request runs on the request's worker and must neither
/// block nor take locks (per-worker state indexed by `worker`).
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_request(const CompletedRequest& request) = 0;
};

}  // namespace surge::detail
