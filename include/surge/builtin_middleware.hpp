#pragma once
// The built-in middleware: recover, request_id, cors. Config structs and factories for embedders.
// Header names and values in these configs must be valid field syntax: Response::add_header
// refuses others, so they would silently never be sent: validate them where config is loaded.
//
// Recommended order (outermost first), for the global chain:
//
//   recover -> request_id -> cors -> rate limiting -> load shedding -> [route: circuit breaker]
//   -> handler
//
// - recover is outermost so that an exception from anything inside it, including the other
//   middleware, becomes a 500 instead of reaching the engine.
// - request_id comes next so every later step, and every log line (recover's included), carries
//   the id, and the id is on every response, rejections (403, 429, 503) included. recover's
//   500 discards the response the handler built, headers too, and adds the request id header
//   back from ctx.request_id() (RecoverConfig::request_id_header); the traceparent response
//   header is not restored on that 500.
// - cors answers preflights before anything that counts or rejects traffic: a browser's
//   OPTIONS is cheap and must not use up a client's rate limit or trip a breaker, and a 429 or
//   503 to an allowed origin still carries Access-Control-Allow-Origin (so the page's script can
//   read it) because cors added it before calling next().
// - Rate limiting rejects cheaply, by client, before load shedding judges the whole server's
//   load, so one noisy client is refused before it costs everyone a shed request.
// - A circuit breaker belongs to the route whose dependency it protects, innermost.
//
// Every factory returns a middleware that all workers share once attach(workers) ran (the
// engine calls it before serving; until then it has state for one worker only). Its mutable
// state (counters, id generators) is per worker; no locks, no shared writes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <surge/middleware.hpp>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace surge {

struct RecoverConfig {
  // After replacing the response with the 500, re-add this header with ctx.request_id() (when
  // there is one), so the id survives the discarded response. Keep it equal to
  // RequestIdConfig::header. Empty: add nothing. Default "X-Request-ID".
  std::string request_id_header = "X-Request-ID";

  bool operator==(const RecoverConfig&) const = default;
};

/// Checks that request_id_header is empty or a header field name. Throws InvalidField.
void validate(const RecoverConfig& config);

/// An exception escaping the rest of the chain (std::exception or anything else) becomes a 500
/// "internal server error\n" (text/plain), replacing whatever the handler had put in the
/// response, plus one error-level line on `log` (request id, route, method, path without the
/// query, what() cut to one line of at most 256 bytes) and the `panics` counter. A null `log` logs
/// nothing. Never throws. If the handler had already deferred the response (ctx.deferred()), the
/// response belongs to the Deferred: recover logs and counts but leaves it alone (a Deferred
/// destroyed by the unwinding answers 500 itself; one that survives answers when resumed, or 504 at
/// its deadline).
MiddlewarePtr make_recover(std::shared_ptr<spdlog::logger> log, RecoverConfig config = {});

struct RequestIdConfig {
  // Request header an incoming id is read from, and response header the id is echoed in (every
  // response, added before next() runs). A header field name. Default "X-Request-ID".
  std::string header = "X-Request-ID";
  // Use a valid incoming id. Off: always make one (an edge server whose clients must not choose
  // ids). Default true.
  bool accept_incoming = true;
  // An incoming id is valid when it has 1..max_length characters, all from [A-Za-z0-9._:-];
  // others are ignored (counted as `invalid`). Characters; default 128.
  std::size_t max_length = 128;
  // W3C Trace Context: read an incoming `traceparent` and answer with this server's span (same
  // trace-id and flags, a new 16-hex parent-id). Off: traceparent is neither read nor sent.
  // Default true.
  bool trace = true;
  // Without a valid incoming traceparent, start a new trace (random trace-id; when the request
  // id is generated too, they are the same 32 hex digits). Off: no traceparent in the response
  // then. Default true.
  bool start_trace = true;
  // The sampled flag (01) of a trace started here. surge records no spans itself, so by default
  // it does not ask downstream tracers to record theirs. Default false.
  bool sample_new_traces = false;
  // When no valid incoming id came but a valid traceparent did, the request id is its trace-id
  // (log lines then join the distributed trace; requests of one trace share it). Off: generate
  // one. Default true.
  bool request_id_from_trace = true;
  // Response header carrying this server's traceparent ("traceresponse" is the name drafted by
  // Trace Context Level 2). Empty: none. Default "traceparent".
  std::string trace_response_header = "traceparent";

  bool operator==(const RequestIdConfig&) const = default;
};

/// Checks the header names (trace_response_header may be empty) and max_length 1..1024. Throws
/// InvalidField naming the key ("header").
void validate(const RequestIdConfig& config);

/// Gives every request an id: ctx.request_id(), echoed in the response. Generated ids are 128
/// bits from a per-worker xoshiro256** generator seeded from std::random_device at start-up,
/// written as 32 lowercase hex digits (the form of a W3C trace-id). They are unique, not secret:
/// never use one as a token. No allocation, no lock, no system call per request.
/// Handlers see the trace through ctx.request_id() (the trace-id, when no id header came) and the
/// request's own traceparent header; this server's span id is only in the response header.
MiddlewarePtr make_request_id(RequestIdConfig config = {});

struct CorsConfig {
  // Origins allowed to read responses, as serialized origins "https://app.example:8443" (scheme,
  // host, port if not the default; no path or trailing slash). Compared byte for byte with the
  // request's Origin (as the Fetch standard's CORS check does) after lowercasing these entries,
  // since browsers send scheme and host lowercased. "*" allows any origin, except "null" when
  // allow_credentials is set. Default: none.
  std::vector<std::string> allowed_origins;
  // Methods a preflight may ask for (case-sensitive, as methods are). "*" allows any. Default
  // GET, HEAD, POST, PUT, PATCH, DELETE.
  std::vector<std::string> allowed_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  // Request headers a preflight is told are allowed. Empty: reflect the preflight's
  // Access-Control-Request-Headers. "*": any (answered "*", or reflected with credentials). The
  // browser enforces this list; a preflight is not refused for its headers. Default: empty.
  std::vector<std::string> allowed_headers;
  // Response headers the page's script may read (Access-Control-Expose-Headers on actual
  // requests; browsers read "*" as a wildcard only without credentials). Default: none.
  std::vector<std::string> exposed_headers;
  // Allow cookies and HTTP authentication: adds Access-Control-Allow-Credentials: true and, as
  // browsers require, never answers "*" (the Origin, method or headers are reflected instead).
  // Default false.
  bool allow_credentials = false;
  // How long a browser may cache a preflight answer (Access-Control-Max-Age). Seconds; 0 means
  // do not cache. Default 600.
  std::uint32_t max_age = 600;

  bool operator==(const CorsConfig&) const = default;
};

/// Checks that every list entry is one non-empty field value without commas, and max_age at most
/// a week. Throws InvalidField naming the key ("allowed_origins/2").
void validate(const CorsConfig& config);

/// Cross-origin resource sharing. A preflight (OPTIONS with Origin and
/// Access-Control-Request-Method) is answered here, before routing: 204 with the Allow headers
/// when its origin and method are allowed, else 403 with a short body; next() is not called.
/// Other requests with an allowed Origin get Access-Control-Allow-Origin (and -Credentials,
/// -Expose-Headers) before next(); a disallowed Origin gets none. Unless the answer is a fixed
/// "*", every response that passes through carries Vary: Origin, requests without an Origin
/// included, so a shared cache never hands one origin's answer to another.
MiddlewarePtr make_cors(const CorsConfig& config);

/// Deadline for answers produced asynchronously below this middleware (Context::defer,
/// Context::offload): past it the request is answered 504 and the late completion is dropped.
/// Nothing interrupts a synchronous handler. For one route, RouteOptions::timeout does the same.
MiddlewarePtr make_timeout(std::chrono::milliseconds deadline);

}  // namespace surge
