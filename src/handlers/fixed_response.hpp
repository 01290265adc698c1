#pragma once
// FixedResponse: the "text" and "json" route kinds of the configuration.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <surge/compression.hpp>
#include <surge/handler.hpp>

#include "encoding/accept_encoding.hpp"
#include "handlers/body_template.hpp"

namespace surge::detail {

/// Answers every request with the same status, content type, headers and (templated) body.
/// Frozen at start-up; serving allocates nothing once the exchange's buffers are warm.
///
/// With `compression` (the route's, when on), a body without placeholders is compressed once
/// here, in every offered coding that makes it smaller, at each library's best level: a request
/// then costs its negotiation and nothing more. A templated body is left to the engine, which
/// compresses it per request like any handler's body.
class FixedResponse final {
 public:
  FixedResponse(int status, std::string content_type,
                std::vector<std::pair<std::string, std::string>> headers, BodyTemplate body,
                const CompressionConfig* compression = nullptr);

  void operator()(Context& ctx) const;

 private:
  /// The body in each coding prepared at start-up.
  struct Encoded {
    CodingOffer offer;                            // the codings prepared, in the server's order
    std::array<std::string, kCodingCount> bodies;  // by ContentCoding
  };

  int status_;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  BodyTemplate body_;
  std::shared_ptr<const Encoded> encoded_;  // null: the body goes as it is (or the engine decides)
};

}  // namespace surge::detail
