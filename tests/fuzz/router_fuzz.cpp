// fuzz_router: routing (src/router/: RadixTree, RouterApp::on_header and its parameter binding)
// of fuzzed request targets through a small route table of static, :param and *catch-all routes,
// as a connection does it, then the route's handler.
//
// Input: [flags] [target: bytes up to the first '\n'] ['\n' body]
//   flags bit 0   TrailingSlash::kStrict instead of kRedirect
//         bit 1   the body arrives after the header and is at least 2000 bytes: as a connection
//                 does, the read buffer grows for it at header time (moving the header bytes) and
//                 the old pooled block goes to the next connection, which fills it with its own
//                 request (the scenario of issue 12, item 0)
//         bits 2-3  method: GET, POST, HEAD, OPTIONS
// tests/fuzz/make_seeds.py writes seeds in this format.
//
// Checked:
//   - RadixTree::find on the raw target (parsed or not): parameters lie inside the path looked up,
//     no more than the route binds.
//   - A GET whose path, with escaped unreserved characters decoded (RFC 3986 6.2.2.2), spells a
//     route's pattern, with :param and *catch-all standing for segments, is routed to the most
//     specific such route, and binds each parameter to its segment(s), fully percent-decoded.
//   - What a handler reads as a parameter lies in the request's buffer or the exchange's arena
//     and stays the same when the buffer moves and its old block is reused by another connection
//     (ASan also reports a read of the released block: the pool poisons it).
//   - Every route's answer (a JSON template filled from parameters, or the echo of the whole
//     request) is JSON.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <surge/peer.hpp>
#include <surge/router.hpp>

#include <boost/beast/http/error.hpp>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "handlers/body_template.hpp"
#include "handlers/echo.hpp"
#include "handlers/fixed_response.hpp"
#include "http/application.hpp"
#include "http/exchange.hpp"
#include "memory/byte_buffer.hpp"
#include "memory/slab_pool.hpp"
#include "router/radix_tree.hpp"
#include "router/router_app.hpp"

namespace {

using surge::Method;
using surge::detail::BodyTemplate;
using surge::detail::RadixTree;

struct RouteEntry {
  std::string_view pattern;
  std::vector<Method> methods;
  std::string_view json_body;  // a JSON template; empty: the echo handler
};

// Static beside :param beside *catch-all, backtracking (/a/b/c and /a/:x/d), trailing slashes.
const std::vector<RouteEntry> kRoutes = {
    {"/", {Method::kGet}, R"({"root":true})"},
    {"/plaintext", {Method::kGet}, R"({"text":"Hello, World!"})"},
    {"/json", {Method::kGet}, R"({"message":"Hello, World!"})"},
    {"/users/new", {Method::kGet}, R"({"new":true})"},
    {"/users/:id", {Method::kGet, Method::kPut}, R"({"id":"{id}","name":"user-{id}"})"},
    {"/users/:id/posts/:post", {Method::kGet}, R"({"user":"{id}","post":"{post}"})"},
    {"/static/*path", {Method::kGet, Method::kPost}, R"({"file":"{path}"})"},
    {"/a/b/c", {Method::kGet}, R"({"abc":1})"},
    {"/a/:x/d", {Method::kGet}, R"({"x":"{x}"})"},
    {"/api/v1/items/", {Method::kGet}, R"({"items":[]})"},
    {"/api/v1/items/:item", {Method::kGet, Method::kDelete}, R"({"item":"{item}"})"},
    {"/echo", {Method::kGet, Method::kPost, Method::kPut}, ""},
    {"/files/:dir/*rest", {Method::kGet}, ""},
};
const std::array<std::string_view, 8> kParamNames = {"id",   "post", "path", "x",
                                                     "item", "dir",  "rest", "none"};

std::vector<std::string> parameters(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::size_t i = 1; i < pattern.size(); ++i) {
    if ((pattern[i] == ':' || pattern[i] == '*') && pattern[i - 1] == '/') {
      const std::size_t end = pattern.find('/', i);
      names.emplace_back(pattern.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
    }
  }
  return names;
}

std::shared_ptr<const surge::detail::Application> build_app(surge::TrailingSlash trailing_slash) {
  surge::Router router(surge::RouterOptions{trailing_slash});
  for (const RouteEntry& route : kRoutes) {
    surge::Handler handler = surge::detail::echo_request;
    if (!route.json_body.empty()) {
      handler = surge::detail::FixedResponse(
          200, "application/json", {},
          BodyTemplate(route.json_body, parameters(route.pattern), BodyTemplate::Escape::kJson));
    }
    for (Method m : route.methods)
      router.handle(m, route.pattern, handler);
  }
  return surge::detail::freeze(router);
}

const RadixTree& raw_tree() {
  static const RadixTree tree = [] {
    RadixTree t;
    for (std::size_t i = 0; i < kRoutes.size(); ++i)
      t.insert(kRoutes[i].pattern, static_cast<std::uint32_t>(i));
    return t;
  }();
  return tree;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Decodes %HH escapes: all of them, or only those of unreserved characters. The parser let only
// well-formed escapes through.
std::string decode(std::string_view s, bool only_unreserved) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      const auto c = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      if (!only_unreserved || is_unreserved(c)) {
        out += static_cast<char>(c);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Whether path spells pattern (":name" one non-empty segment, "*name" the rest); the parameters
// it binds, decoded, in params.
bool spells(std::string_view pattern, std::string_view path,
            std::map<std::string, std::string>& params) {
  std::size_t p = 0;
  std::size_t x = 0;
  while (p < pattern.size()) {
    if (pattern[p] == '*') {
      params[std::string(pattern.substr(p + 1))] = decode(path.substr(x), false);
      return true;
    }
    if (pattern[p] == ':') {
      const std::size_t name_end = std::min(pattern.find('/', p), pattern.size());
      const std::size_t value_end = std::min(path.find('/', x), path.size());
      if (value_end == x) return false;
      params[std::string(pattern.substr(p + 1, name_end - p - 1))] =
          decode(path.substr(x, value_end - x), false);
      p = name_end;
      x = value_end;
      continue;
    }
    if (x >= path.size() || path[x] != pattern[p]) return false;
    ++p;
    ++x;
  }
  return x == path.size();
}

// Static text beats :param beats *catch-all at the first position where two patterns differ.
bool more_specific(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i])
    ++i;
  auto rank = [](std::string_view s, std::size_t at) {
    return at >= s.size() ? 0 : s[at] == '*' ? 2 : s[at] == ':' ? 1 : 0;
  };
  return rank(a, i) < rank(b, i);
}

void check_raw_lookup(std::string_view path) {
  std::array<surge::detail::ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 0;
  const std::uint32_t value = raw_tree().find(path, params, count);
  if (value == RadixTree::kNoMatch) {
    SURGE_FUZZ_CHECK(count == 0);
  } else {
    SURGE_FUZZ_CHECK(value < kRoutes.size());
    SURGE_FUZZ_CHECK(count == parameters(kRoutes[value].pattern).size());
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view v = params[i].value;
    SURGE_FUZZ_CHECK(v.empty() ||
                     (v.data() >= path.data() && v.data() + v.size() <= path.data() + path.size()));
  }
  (void)raw_tree().has_toggled_slash_match(path);
}

// A request as a connection holds it: a pooled read buffer, an exchange, the parser.
class Request {
 public:
  Request() : pool_(kBlock, 4), in_(&pool_), exchange_(limits_, &pool_) {
    exchange_.begin(&peer_, nullptr, 0);
  }
  ~Request() {
    if (other_ != nullptr) pool_.deallocate(other_);
  }

  // Parses what is in the buffer; false when the request is refused.
  bool parse() {
    if (exchange_.parser().done()) return true;  // as the connection, never parses past the end
    boost::system::error_code ec;
    read_pos_ += exchange_.parser().parse(in_.data(), read_pos_, in_.size(), ec);
    if (ec && ec != boost::beast::http::error::need_more) return false;
    exchange_.set_base(in_.data());
    return true;
  }
  // The buffer grows for a body (Connection::on_header_complete); the block it leaves is handed to
  // another connection at once (the pool's free list is LIFO), which reads its own bytes into it.
  void grow_for(std::size_t body_bytes) {
    const char* old = in_.data();
    const bool pooled = pool_.owns(old);
    in_.prepare(body_bytes);
    if (pooled && in_.data() != old) {
      other_ = static_cast<char*>(pool_.allocate());
      std::memset(other_, '\xEE', kBlock);
    }
  }
  bool in_other_block(std::string_view v) const {
    return other_ != nullptr && v.data() + v.size() > other_ && v.data() < other_ + kBlock;
  }

  static constexpr std::size_t kBlock = 1024;
  surge::detail::ParserLimits limits_;
  surge::PeerAddress peer_{};
  surge::detail::SlabPool pool_;
  surge::detail::ByteBuffer in_;
  std::size_t read_pos_ = 0;
  surge::detail::Exchange exchange_;
  char* other_ = nullptr;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto redirecting = build_app(surge::TrailingSlash::kRedirect);
  static const auto strict = build_app(surge::TrailingSlash::kStrict);
  const std::uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view target = rest.substr(0, rest.find('\n'));
  std::string body(rest.size() > target.size() ? rest.substr(target.size() + 1)
                                               : std::string_view{});
  const bool held_back = (flags & 2) != 0;
  if (held_back && body.size() < 2000) body.resize(2000, 'b');
  static constexpr std::array<std::string_view, 4> kMethods = {"GET", "POST", "HEAD", "OPTIONS"};
  const std::string_view method = kMethods[(flags >> 2) & 3];
  const auto& app = (flags & 1) != 0 ? strict : redirecting;

  check_raw_lookup(target.substr(0, target.find('?')));

  std::string head = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: a\r\n";
  if (!body.empty()) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  head += "\r\n";
  Request request;
  request.in_.append(head);
  if (!held_back) request.in_.append(body);
  if (!request.parse() || !request.exchange_.parser().header_done()) return 0;
  surge::detail::Exchange& exchange = request.exchange_;
  const surge::detail::RequestHead& request_head = exchange.head();
  std::string path(exchange.view(request_head.path));
  check_raw_lookup(path);
  if (path.empty()) path = "/";

  if (app->on_header(exchange) != surge::detail::RequestError::kNone) return 0;
  surge::Context& ctx = exchange.context();
  const std::string route(ctx.route());

  // The most specific pattern the path spells, by the README's rules, and its parameters.
  if (method == "GET" && path != "*") {
    const std::string routed = decode(path, true);
    std::string_view best;
    std::map<std::string, std::string> best_params;
    for (const RouteEntry& entry : kRoutes) {
      std::map<std::string, std::string> params;
      if (spells(entry.pattern, routed, params) &&
          (best.empty() || more_specific(entry.pattern, best))) {
        best = entry.pattern;
        best_params = std::move(params);
      }
    }
    SURGE_FUZZ_CHECK_MSG(route == best, "GET " + path + " was routed to \"" + route + "\", not \"" +
                                            std::string(best) + "\"");
    for (const auto& [name, value] : best_params) {
      SURGE_FUZZ_CHECK_MSG(ctx.param(name) == value, "parameter " + name + " of " + path +
                                                         " is \"" + std::string(ctx.param(name)) +
                                                         "\", not \"" + value + "\"");
    }
  }

  std::array<std::string, kParamNames.size()> bound;
  for (std::size_t i = 0; i < kParamNames.size(); ++i)
    bound[i] = ctx.param(kParamNames[i]);

  if (held_back) {
    // The body comes later: room is made for it now, as the connection does after on_header.
    request.grow_for(body.size());
    request.in_.append(body);
  }
  if (!request.parse() || !request.exchange_.parser().done()) return 0;
  exchange.set_base(request.in_.data());
  for (std::size_t i = 0; i < kParamNames.size(); ++i) {
    const std::string_view now = ctx.param(kParamNames[i]);
    SURGE_FUZZ_CHECK_MSG(!request.in_other_block(now),
                         "parameter " + std::string(kParamNames[i]) +
                             " points into a block another connection now uses");
    SURGE_FUZZ_CHECK_MSG(now == bound[i], "parameter " + std::string(kParamNames[i]) +
                                              " changed from \"" + bound[i] + "\" to \"" +
                                              std::string(now) + "\" when the read buffer moved");
  }

  app->handle(exchange);
  if (!route.empty()) {
    // Every route of the table answers JSON: a filled template, or the echo of the request.
    const std::string_view answer = ctx.response().body();
    SURGE_FUZZ_CHECK_MSG(nlohmann::json::accept(answer),
                         "a JSON answer is not JSON: " + std::string(answer.substr(0, 300)));
  }
  return 0;
}
