#pragma once
// FakeExchange: a real Exchange and Context for one request given as raw bytes, without sockets.
// Middleware and handler unit tests drive them through this.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <surge/context.hpp>
#include <surge/handler.hpp>
#include <surge/middleware.hpp>

#include "http/exchange.hpp"

namespace surge::test {

class FakeExchange {
 public:
  /// Parses `raw` (a complete request). Fails the test if it is not one.
  explicit FakeExchange(std::string raw, PeerAddress peer = {}, std::size_t worker_index = 0);

  Context& ctx() { return exchange_.context(); }
  detail::Exchange& exchange() { return exchange_; }

  /// Runs middleware (in order) and then handler, as a route's chain does.
  void run(std::initializer_list<Middleware*> middleware, const Handler& handler);

  int status() const { return exchange_.response().status(); }
  std::string_view body() const { return exchange_.response().body().view(); }
  bool answered() const { return exchange_.response().answered(); }
  std::string_view content_type() const { return exchange_.response().content_type(); }
  /// First response header with this name (case-insensitive) that the handler or middleware set.
  std::optional<std::string> header(std::string_view name) const;
  /// How many response headers have this name.
  std::size_t header_count(std::string_view name) const;

 private:
  detail::ParserLimits limits_;
  std::string buffer_;
  PeerAddress peer_;
  detail::Exchange exchange_;
};

/// "GET <target> HTTP/1.1\r\nHost: test\r\n<extra>\r\n"
std::string request(std::string_view method, std::string_view target,
                    std::string_view extra_headers = "", std::string_view body = "");

}  // namespace surge::test
