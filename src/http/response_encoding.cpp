#include "http/response_encoding.hpp"

#include <surge/context.hpp>
#include <surge/status.hpp>

#include "http/exchange.hpp"
#include "http/grammar.hpp"
#include "http/response_state.hpp"

namespace surge::detail {
namespace {

// Encoders kept warm per worker for streamed responses; beyond this many at once, extra ones are
// made and dropped (each holds a library context of a few hundred KiB).
constexpr std::size_t kIdleEncoders = 16;
// The scratch buffer keeps this much between responses: one large body does not pin its size.
constexpr std::size_t kKeptScratchBytes = 256 * 1024;

bool forbids_transform(const ResponseState& response) {
  bool found = false;
  response.for_each_header("cache-control", [&](std::string_view v) { found = found || list_has_token(v, "no-transform"); });
  return found;
}

bool varies_on_encoding(const ResponseState& response) {
  bool found = false;
  response.for_each_header("vary", [&](std::string_view v) {
    found = found || list_has_token(v, "accept-encoding") || list_has_token(v, "*");
  });
  return found;
}

}  // namespace

CodingRequest read_coding_request(const Request& request) {
  CodingRequest out;
  for (std::size_t i = 0; i < request.header_count(); ++i) {
    const HeaderField f = request.header_at(i);
    if (iequals(f.name, "accept-encoding")) {
      out.accept.add_line(f.value);
    } else if (iequals(f.name, "cache-control") && list_has_token(f.value, "no-transform")) {
      out.no_transform = true;
    }
  }
  return out;
}

void StreamEncoderReturn::operator()(StreamEncoder* encoder) const {
  if (owner != nullptr) {
    owner->give_back(encoder);
  } else {
    delete encoder;
  }
}

ResponseEncoding::ResponseEncoding() = default;
ResponseEncoding::~ResponseEncoding() = default;

BufferEncoder& ResponseEncoding::buffer_encoder(const CodingLevels& levels) {
  for (auto& [l, encoder] : buffer_encoders_) {
    if (l == levels) return *encoder;
  }
  buffer_encoders_.emplace_back(levels, std::make_unique<BufferEncoder>(levels));
  return *buffer_encoders_.back().second;
}

void ResponseEncoding::give_back(StreamEncoder* encoder) {
  if (idle_.size() < kIdleEncoders) {
    idle_.emplace_back(encoder);
  } else {
    delete encoder;
  }
}

PooledStreamEncoder ResponseEncoding::apply(const CompressionPolicy& policy, Exchange& exchange) {
  ResponseState& response = exchange.response();
  const BodyKind kind = response.body_kind();
  if (response.encoding_decided() || kind == BodyKind::kFile || !CompressionPolicy::encodes_status(response.status())) {
    return nullptr;
  }
  const std::uint64_t length =
      kind == BodyKind::kBytes ? response.body().size() : response.stream_length();
  if (!policy.compresses_length(length)) return nullptr;
  std::string_view type = response.content_type();
  if (type.empty()) type = response.header("content-type").value_or(std::string_view());
  if (!policy.compresses_type(type) || response.header("content-encoding") || response.header("content-range")) {
    return nullptr;
  }
  const CodingRequest wants = read_coding_request(exchange.context().request());
  if (wants.no_transform || forbids_transform(response)) return nullptr;
  // From here the answer depends on Accept-Encoding, whatever this request gets (RFC 9110 12.5.5).
  if (!varies_on_encoding(response)) response.append_header("Vary", "Accept-Encoding");
  const ContentCoding coding = wants.accept.choose(policy.offer());
  if (coding == ContentCoding::kIdentity) return nullptr;
  const int level = policy.levels().of(coding);
  if (kind == BodyKind::kBytes) {
    reuse_scratch();
    if (!buffer_encoder(policy.levels()).encode(coding, response.body().view(), scratch_)) {
      stats_.failures.add();
      return nullptr;
    }
    stats_.bytes_in.add(length);
    stats_.bytes_out.add(scratch_.size());
    response.body().clear();
    response.body().append(scratch_.view());
  } else {
    PooledStreamEncoder encoder(nullptr, StreamEncoderReturn{this});
    if (idle_.empty()) {
      encoder.reset(new StreamEncoder());
    } else {
      encoder.reset(idle_.back().release());
      idle_.pop_back();
    }
    if (!encoder->start(coding, level)) {
      stats_.failures.add();
      return nullptr;
    }
    response.set_stream_length_unknown();
    response.weaken_etag();
    response.append_header("Content-Encoding", coding_name(coding));
    stats_.encoded.add();
    return encoder;
  }
  response.weaken_etag();
  response.append_header("Content-Encoding", coding_name(coding));
  stats_.encoded.add();
  return nullptr;
}

void ResponseEncoding::reuse_scratch() {
  // What the last body or piece grew it to stays only up to a bound: one large body must not pin
  // its size to the worker.
  if (scratch_.capacity() > kKeptScratchBytes) scratch_.release();
  scratch_.clear();
}

std::string_view ResponseEncoding::encode_piece(StreamEncoder& encoder, std::string_view piece, bool& failed) {
  reuse_scratch();
  if (!encoder.write(piece, scratch_)) {
    stats_.failures.add();
    failed = true;
    return {};
  }
  stats_.bytes_in.add(piece.size());
  stats_.bytes_out.add(scratch_.size());
  return scratch_.view();
}

std::string_view ResponseEncoding::finish(StreamEncoder& encoder, bool& failed) {
  reuse_scratch();
  if (!encoder.finish(scratch_)) {
    stats_.failures.add();
    failed = true;
    return {};
  }
  stats_.bytes_out.add(scratch_.size());
  return scratch_.view();
}

}  // namespace surge::detail
