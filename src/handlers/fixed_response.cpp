#include "handlers/fixed_response.hpp"

#include "encoding/buffer_encoder.hpp"
#include "encoding/compression_policy.hpp"
#include "http/exchange.hpp"
#include "http/grammar.hpp"
#include "http/response_encoding.hpp"
#include "http/response_state.hpp"

namespace surge::detail {
namespace {

bool has_field(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return true;
  }
  return false;
}

}  // namespace

FixedResponse::FixedResponse(int status, std::string content_type,
                             std::vector<std::pair<std::string, std::string>> headers,
                             BodyTemplate body, const CompressionConfig* compression)
    : status_(status),
      content_type_(std::move(content_type)),
      headers_(std::move(headers)),
      body_(std::move(body)) {
  if (compression == nullptr || !compression->enabled || !body_.is_static()) return;
  const CompressionPolicy policy(*compression);
  // What the engine would refuse to encode, this does not prepare either (CompressionConfig).
  if (!CompressionPolicy::encodes_status(status_) || !policy.compresses_type(content_type_) ||
      body_.text().size() < policy.min_length() || has_field(headers_, "content-encoding") ||
      has_field(headers_, "vary")) {
    return;
  }
  auto encoded = std::make_shared<Encoded>();
  for (std::uint8_t i = 0; i < policy.offer().count; ++i) {
    const ContentCoding coding = policy.offer().order[i];
    std::string bytes = compress_whole(coding, kBestLevels.of(coding), body_.text());
    if (bytes.size() >= body_.text().size()) continue;  // no gain: that coding is not offered
    encoded->bodies[static_cast<std::size_t>(coding)] = std::move(bytes);
    encoded->offer.add(coding);
  }
  if (encoded->offer.count > 0) encoded_ = std::move(encoded);
}

void FixedResponse::operator()(Context& ctx) const {
  Response& response = ctx.response();
  response.set_status(status_);
  response.set_content_type(content_type_);
  for (const auto& [name, value] : headers_) response.add_header(name, value);
  if (!body_.is_static()) {
    body_.render(ctx);
    return;
  }
  if (encoded_ == nullptr) {
    response.set_body(body_.text());
    return;
  }
  const CodingRequest wants = read_coding_request(ctx.request());
  ResponseState& state = exchange_of(ctx).response();
  state.mark_encoding_decided();
  if (wants.no_transform) {
    response.set_body(body_.text());
    return;
  }
  response.add_header("Vary", "Accept-Encoding");
  const ContentCoding coding = wants.accept.choose(encoded_->offer);
  if (coding == ContentCoding::kIdentity) {
    response.set_body(body_.text());
    return;
  }
  state.weaken_etag();
  response.add_header("Content-Encoding", coding_name(coding));
  response.set_body(encoded_->bodies[static_cast<std::size_t>(coding)]);
}

}  // namespace surge::detail
