#include "support/fake_exchange.hpp"

#include <gtest/gtest.h>

#include <vector>

#include <boost/beast/http/error.hpp>

#include "middleware/chain.hpp"
#include "support/text.hpp"

namespace surge::test {
namespace {

template <class F>
void for_each_header(std::string_view block, F&& f) {
  while (!block.empty()) {
    auto end = block.find("\r\n");
    std::string_view line = block.substr(0, end);
    auto colon = line.find(':');
    f(line.substr(0, colon), line.substr(colon + 2));
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + 2);
  }
}

}  // namespace

FakeExchange::FakeExchange(std::string raw, PeerAddress peer, std::size_t worker_index)
    : buffer_(std::move(raw)), peer_(peer), exchange_(limits_, nullptr) {
  exchange_.begin(&peer_, nullptr, worker_index);
  boost::system::error_code ec;
  std::size_t pos = 0;
  while (!exchange_.parser().done()) {
    std::size_t used = exchange_.parser().parse(buffer_.data(), pos, buffer_.size(), ec);
    pos += used;
    if (ec) break;
  }
  EXPECT_FALSE(ec) << "not a complete, valid request: " << ec.message();
  exchange_.set_base(buffer_.data());
}

void FakeExchange::run(std::initializer_list<Middleware*> middleware, const Handler& handler) {
  detail::Chain chain(std::vector<Middleware*>(middleware), handler);
  chain.run(ctx());
}

std::optional<std::string> FakeExchange::header(std::string_view name) const {
  std::optional<std::string> found;
  for_each_header(exchange_.response().extra_headers(), [&](std::string_view n, std::string_view v) {
    if (!found && iequals(n, name)) found = std::string(v);
  });
  return found;
}

std::size_t FakeExchange::header_count(std::string_view name) const {
  std::size_t count = 0;
  for_each_header(exchange_.response().extra_headers(), [&](std::string_view n, std::string_view) {
    if (iequals(n, name)) ++count;
  });
  return count;
}

std::string request(std::string_view method, std::string_view target, std::string_view extra_headers,
                    std::string_view body) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
                  std::string(extra_headers);
  if (!body.empty()) r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + std::string(body);
}

}  // namespace surge::test
