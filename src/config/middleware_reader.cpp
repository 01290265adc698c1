#include "config/middleware_reader.hpp"

namespace surge::detail {
namespace {

void read_recover(ObjectReader& r, MiddlewareConfig& c) {
  r.boolean("enabled", c.recover);
  r.string("request_id_header", c.recover_config.request_id_header);
  r.check([&] { surge::validate(c.recover_config); });
}

void read_request_id(ObjectReader& r, MiddlewareConfig& c) {
  RequestIdConfig& q = c.request_id_config;
  r.boolean("enabled", c.request_id);
  r.string("header", q.header);
  r.boolean("accept_incoming", q.accept_incoming);
  r.fields(q);  // max_length
  r.boolean("trace", q.trace);
  r.boolean("start_trace", q.start_trace);
  r.boolean("sample_new_traces", q.sample_new_traces);
  r.boolean("request_id_from_trace", q.request_id_from_trace);
  r.string("trace_response_header", q.trace_response_header);
  r.check([&] { surge::validate(q); });
  // recover's 500 carries the id in the header request_id answers with.
  c.recover_config.request_id_header = q.header;
}

void read_cors(ObjectReader& r, MiddlewareConfig& c) {
  CorsConfig& q = c.cors_config;
  c.cors = true;
  r.boolean("enabled", c.cors);
  r.strings("allowed_origins", q.allowed_origins);
  r.strings("allowed_methods", q.allowed_methods);
  r.strings("allowed_headers", q.allowed_headers);
  r.strings("exposed_headers", q.exposed_headers);
  r.boolean("allow_credentials", q.allow_credentials);
  r.fields(q);  // max_age_s
  r.check([&] { surge::validate(q); });
  if (c.cors && q.allowed_origins.empty()) r.fail("allowed_origins", "at least one origin (or \"*\") is required");
}

}  // namespace

void read_middleware(ObjectReader& r, MiddlewareConfig& c) {
  r.object("recover", [&](ObjectReader& m) { read_recover(m, c); });
  r.object("request_id", [&](ObjectReader& m) { read_request_id(m, c); });
  r.object("cors", [&](ObjectReader& m) { read_cors(m, c); });
  r.strings("rate_limit", c.rate_limits);
}

}  // namespace surge::detail
