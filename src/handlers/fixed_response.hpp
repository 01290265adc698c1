#pragma once
// FixedResponse: the "text" and "json" route kinds of the configuration.

#include <string>
#include <utility>
#include <vector>

#include <surge/handler.hpp>

#include "handlers/body_template.hpp"

namespace surge::detail {

/// Answers every request with the same status, content type, headers and (templated) body.
/// Frozen at start-up; serving allocates nothing once the exchange's buffers are warm.
class FixedResponse final {
 public:
  FixedResponse(int status, std::string content_type,
                std::vector<std::pair<std::string, std::string>> headers, BodyTemplate body);

  void operator()(Context& ctx) const;

 private:
  int status_;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  BodyTemplate body_;
};

}  // namespace surge::detail
