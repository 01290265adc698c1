#pragma once
// Application: what a connection calls for each request. Built once, then shared read-only.

namespace surge::detail {

class Exchange;

/// Built on the main thread, then frozen and shared by every worker (a reload builds a new one
/// and swaps it in). Both calls run on the worker that owns the connection and must not block.
class Application {
 public:
  virtual ~Application() = default;

  /// The header section is complete and the body not yet read. Returning true means the
  /// application answered already (a 404, a 413 for a per-route limit...): the body is not read
  /// and the connection closes after the response if a body was announced.
  virtual bool on_header(Exchange& exchange) const = 0;
  /// The whole request is there: answer it (or leave it unanswered for an empty 200).
  virtual void handle(Exchange& exchange) const = 0;
};

}  // namespace surge::detail
