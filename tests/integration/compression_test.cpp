// Response compression through the real server: fixed routes prepared at start-up, templated and
// proxied bodies compressed per request, streamed (proxied chunked) bodies flushed piece by piece.
// Bodies are decoded by real decoders: curl --compressed (gzip, br, zstd), Python's gzip, zlib.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "support/configured_server.hpp"
#include "support/raw_client.hpp"
#include "support/scripted_upstream.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace surge::test {
namespace {

// Text that compresses, and is long enough for the default min_length.
std::string prose(std::size_t size) {
  const std::string words = "the quick brown fox jumps over the lazy dog while surge serves it ";
  std::string s;
  for (std::size_t i = 0; s.size() < size; ++i) s += words.substr(i % 7, words.size() - i % 7);
  return s.substr(0, size);
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

// The body as curl --compressed decodes it, asking with `accept`.
std::string curl_decoded(std::uint16_t port, const std::string& path, const std::string& accept) {
  return run("curl -s --max-time 10 --compressed -H 'Accept-Encoding: " + accept + "' http://127.0.0.1:" +
             std::to_string(port) + path);
}

// gzip bytes decoded by Python's gzip module.
std::string python_gunzip(const std::string& bytes) {
  char path[] = "/tmp/surge-gzip-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  std::ofstream(path, std::ios::binary) << bytes;
  ::close(fd);
  const std::string out =
      run("python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],\"rb\").read()))' " +
          std::string(path));
  ::unlink(path);
  return out;
}

// An incremental gzip decoder: what has been fed so far, decoded (Z_SYNC_FLUSH points included).
class Gunzip {
 public:
  Gunzip() { inflateInit2(&z_, 16 + MAX_WBITS); }
  ~Gunzip() { inflateEnd(&z_); }
  std::string feed(const std::string& bytes) {
    std::string out;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(bytes.size());
    char buffer[16384];
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof buffer;
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return out + "<inflate error>";
      out.append(buffer, sizeof buffer - z_.avail_out);
      ended_ = ended_ || rc == Z_STREAM_END;
    } while (z_.avail_out == 0);
    return out;
  }
  bool ended() const { return ended_; }

 private:
  z_stream z_{};
  bool ended_ = false;
};

std::string get_with(const std::string& path, const std::string& accept, const std::string& extra = "") {
  return get(path, accept.empty() ? extra : "Accept-Encoding: " + accept + "\r\n" + extra);
}

const std::string kBody = prose(2000);

std::string fixed_routes_config(const std::string& compression = R"({"enabled": true})") {
  return R"({"compression": )" + compression + R"(, "routes": [
    {"path": "/text", "handler": {"type": "text", "body": ")" + kBody + R"(", "headers": {"ETag": "\"v1\""}}},
    {"path": "/short", "handler": {"type": "text", "body": "too short to be worth it"}},
    {"path": "/png", "handler": {"type": "text", "content_type": "image/png", "body": ")" + kBody + R"("}},
    {"path": "/hello/:name", "handler": {"type": "text", "body": "Hello, {name}! )" + kBody + R"("}},
    {"path": "/plain", "compression": {"enabled": false}, "handler": {"type": "text", "body": ")" + kBody + R"("}}
  ]})";
}

TEST(Compression, FixedRouteAnswersEveryOfferedCodingThatRealDecodersRead) {
  ConfiguredServer server(fixed_routes_config());
  EXPECT_EQ(curl_decoded(server.port(), "/text", "gzip"), kBody);
  EXPECT_EQ(curl_decoded(server.port(), "/text", "br"), kBody);
  EXPECT_EQ(curl_decoded(server.port(), "/text", "zstd"), kBody);
  const auto gz = fetch(server.port(), get_with("/text", "gzip"));
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(gz->header("Content-Length"), std::to_string(gz->body.size()));
  EXPECT_LT(gz->body.size(), kBody.size() / 3);
  EXPECT_EQ(python_gunzip(gz->body), kBody);
}

TEST(Compression, NegotiationFollowsQValuesThenTheServersOrder) {
  ConfiguredServer server(fixed_routes_config());
  const struct {
    const char* accept;
    const char* coding;  // "" for identity
  } table[] = {
      {"", ""},
      {"gzip", "gzip"},
      {"x-gzip", "gzip"},
      {"GZIP", "gzip"},
      {"gzip, br, zstd", "zstd"},  // equal q: the server's order (zstd, br, gzip)
      {"br;q=0.5, gzip", "gzip"},
      {"zstd;q=0.1, br;q=0.9, gzip;q=0.5", "br"},
      {"*", "zstd"},
      {"*;q=0.5, gzip", "gzip"},
      {"gzip;q=0", ""},
      {"*;q=0", ""},
      {"identity", ""},
      {"deflate, compress", ""},
      {"identity;q=0, gzip;q=0", ""},  // nothing acceptable: identity rather than 406
      {"identity;q=0, br", "br"},
      {"gzip;q=2", ""},  // an invalid qvalue: the member is ignored
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.accept);
    const auto r = fetch(server.port(), get_with("/text", row.accept));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Content-Encoding").value_or(""), row.coding);
    EXPECT_EQ(r->header("Vary"), "Accept-Encoding");
    if (*row.coding == '\0') EXPECT_EQ(r->body, kBody);
  }
  // Two Accept-Encoding lines form one list (RFC 9110 5.3).
  const auto two = fetch(server.port(), get("/text", "Accept-Encoding: gzip;q=0.2\r\nAccept-Encoding: br\r\n"));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->header("Content-Encoding"), "br");
}

TEST(Compression, AStrongEtagIsWeakenedOnlyOnEncodedAnswers) {
  ConfiguredServer server(fixed_routes_config());
  const auto plain = fetch(server.port(), get_with("/text", ""));
  const auto gz = fetch(server.port(), get_with("/text", "gzip"));
  const auto br = fetch(server.port(), get_with("/text", "br"));
  ASSERT_TRUE(plain && gz && br);
  EXPECT_EQ(plain->header("ETag"), "\"v1\"");
  EXPECT_EQ(gz->header("ETag"), "W/\"v1\"");
  EXPECT_EQ(br->header("ETag"), "W/\"v1\"");
}

TEST(Compression, HeadCarriesTheHeadersOfGet) {
  ConfiguredServer server(fixed_routes_config());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get_with("/text", "gzip")));
  const auto g = client.read_response();
  ASSERT_TRUE(client.send("HEAD /text HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n"));
  const auto h = client.read_response(5s, /*head=*/true);
  ASSERT_TRUE(g && h);
  EXPECT_EQ(h->header("Content-Encoding"), "gzip");
  EXPECT_EQ(h->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(h->header("Content-Length"), g->header("Content-Length"));
  EXPECT_EQ(h->header("ETag"), g->header("ETag"));
  EXPECT_TRUE(h->body.empty());
}

TEST(Compression, NoTransformShortBodiesOtherTypesAndARouteTurnedOffGoAsTheyAre) {
  ConfiguredServer server(fixed_routes_config());
  const auto no_transform = fetch(server.port(), get_with("/text", "gzip", "Cache-Control: no-transform\r\n"));
  const auto short_body = fetch(server.port(), get_with("/short", "gzip"));
  const auto png = fetch(server.port(), get_with("/png", "gzip"));
  const auto off = fetch(server.port(), get_with("/plain", "gzip"));
  ASSERT_TRUE(no_transform && short_body && png && off);
  EXPECT_FALSE(no_transform->header("Content-Encoding"));
  EXPECT_EQ(no_transform->body, kBody);
  for (const auto* r : {&*short_body, &*png, &*off}) {
    EXPECT_FALSE(r->header("Content-Encoding"));
    EXPECT_FALSE(r->header("Vary"));  // the answer cannot vary
  }
  EXPECT_EQ(off->body, kBody);
}

TEST(Compression, ATemplatedBodyIsCompressedPerRequest) {
  ConfiguredServer server(fixed_routes_config(R"({"encodings": ["gzip", "br"], "gzip_level": 6})"));
  const std::string expected = "Hello, surge! " + kBody;
  EXPECT_EQ(curl_decoded(server.port(), "/hello/surge", "gzip"), expected);
  EXPECT_EQ(curl_decoded(server.port(), "/hello/surge", "br"), expected);
  const auto r = fetch(server.port(), get_with("/hello/surge", "zstd, gzip;q=0.5"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Content-Encoding"), "gzip");  // zstd is not offered by this server
  EXPECT_EQ(python_gunzip(r->body), expected);
}

TEST(Compression, OffUnlessConfigured) {
  ConfiguredServer server(R"({"routes": [{"path": "/text", "handler": {"type": "text", "body": ")" + kBody + R"("}}]})");
  const auto r = fetch(server.port(), get_with("/text", "gzip, br, zstd"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->header("Content-Encoding"));
  EXPECT_FALSE(r->header("Vary"));
  EXPECT_EQ(r->body, kBody);
}

TEST(Compression, BadSettingsAreRefusedAtTheirJsonPath) {
  const auto refused = [](const std::string& compression) {
    try {
      detail::parse_config(R"({"compression": )" + compression + "}", "test.json");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused(R"({"encodings": ["lzma"]})").find("/compression/encodings/0"), std::string::npos);
  EXPECT_NE(refused(R"({"types": ["json"]})").find("/compression/types/0"), std::string::npos);
  EXPECT_NE(refused(R"({"gzip_level": 10})").find("/compression/gzip_level"), std::string::npos);
  EXPECT_NE(refused(R"({"min_length": 100, "max_length": 10})").find("/compression/min_length"), std::string::npos);
  EXPECT_NE(refused(R"({"level": 5})").find("/compression/level"), std::string::npos);
}

// --- Embedders ---------------------------------------------------------------------------------

// A handler's stream: `count` pieces of prose, written as the client takes them.
class ProseWriter final : public BodyWriter {
 public:
  explicit ProseWriter(int count) : count_(count) {}
  void on_writable(ResponseStream& stream) override {
    while (written_ < count_) {
      const bool more = stream.write(prose(300 + written_));
      ++written_;
      if (!more) return;
    }
    stream.end();
    delete this;
  }
  void on_cancel() override { delete this; }

 private:
  int count_;
  int written_ = 0;
};

TEST(Compression, AnEmbeddersHandlerAndStreamAreCompressedByTheRoutersOptions) {
  Router router(RouterOptions{.compression = {.enabled = true, .encodings = {"br", "gzip"}}});
  router.get("/text", [](Context& ctx) { ctx.text(200, kBody); });
  router.get("/stream", [](Context& ctx) {
    ctx.response().set_content_type("application/json");
    ctx.stream_body(*new ProseWriter(20), 20 * 300 + 190);  // announced length: 300 + .. + 319
  });
  router.get("/own", [](Context& ctx) { ctx.text(200, kBody); }, RouteOptions{.compression = CompressionConfig{}});
  TestServer server(test_config(), router);
  std::string streamed;
  for (int i = 0; i < 20; ++i) streamed += prose(300 + i);
  EXPECT_EQ(curl_decoded(server.port(), "/text", "gzip"), kBody);
  EXPECT_EQ(curl_decoded(server.port(), "/stream", "br"), streamed);
  const auto r = fetch(server.port(), get_with("/stream", "gzip"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Content-Encoding"), "gzip");
  EXPECT_TRUE(r->chunks);  // the announced identity length no longer holds
  EXPECT_EQ(python_gunzip(r->body), streamed);
  const auto own = fetch(server.port(), get_with("/own", "gzip"));  // the route's own: off
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->header("Content-Encoding"));
}

// --- Proxied bodies ---------------------------------------------------------------------------

class CompressingProxy {
 public:
  explicit CompressingProxy(std::uint16_t upstream, const std::string& compression = R"({"enabled": true})")
      : server_(R"({"compression": )" + compression + R"(, "upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" +
                std::to_string(upstream) + R"("}]}}, "routes": [{"path": "/*path", "method": ["GET", "HEAD"],
                "handler": {"type": "proxy", "upstream": "app"}}]})") {}
  std::uint16_t port() const { return server_.port(); }

 private:
  ConfiguredServer server_;
};

TEST(Compression, AProxiedAnswerIsCompressedAndItsStrongEtagWeakened) {
  ScriptedUpstream upstream([](const UpstreamRequest&) {
    return ok(kBody, "Content-Type: application/json\r\nETag: \"u1\"\r\n");
  });
  CompressingProxy proxy(upstream.port());
  EXPECT_EQ(curl_decoded(proxy.port(), "/a", "zstd"), kBody);
  EXPECT_EQ(curl_decoded(proxy.port(), "/a", "br"), kBody);
  const auto r = fetch(proxy.port(), get_with("/a", "gzip"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Content-Encoding"), "gzip");
  EXPECT_EQ(r->header("ETag"), "W/\"u1\"");
  EXPECT_EQ(r->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(python_gunzip(r->body), kBody);
}

TEST(Compression, WhatTheUpstreamEncodedOrForbadeOrCutIsPassedAsItIs) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    const std::string line = r.request_line();
    if (line.find("/encoded") != std::string::npos) {
      return ok(kBody, "Content-Type: text/plain\r\nContent-Encoding: br\r\n");  // not really br: untouched
    }
    if (line.find("/no-transform") != std::string::npos) {
      return ok(kBody, "Content-Type: text/plain\r\nCache-Control: public, no-transform\r\n");
    }
    if (line.find("/partial") != std::string::npos) {
      return UpstreamReply{"HTTP/1.1 206 Partial Content\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1999/4000\r\n"
                           "Content-Length: 2000\r\n\r\n" + kBody};
    }
    return ok(kBody, "Content-Type: text/plain\r\nVary: Origin\r\n");
  });
  CompressingProxy proxy(upstream.port());
  for (const char* path : {"/encoded", "/no-transform", "/partial"}) {
    SCOPED_TRACE(path);
    const auto r = fetch(proxy.port(), get_with(path, "gzip"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, kBody);
    EXPECT_NE(r->header("Content-Encoding").value_or(""), "gzip");
  }
  // A Vary of the upstream's own is kept, and Accept-Encoding is added to it.
  const auto varied = fetch(proxy.port(), get_with("/varied", "gzip"));
  ASSERT_TRUE(varied);
  EXPECT_EQ(varied->header("Content-Encoding"), "gzip");
  std::string vary;
  for (const auto& [name, value] : varied->headers) {
    if (name == "Vary") vary += value + ";";
  }
  EXPECT_EQ(vary, "Origin;Accept-Encoding;");
}

TEST(Compression, AStreamedAnswerIsFlushedPieceByPiece) {
  // The upstream sends its chunked body in three pieces, each after the client could have read
  // the one before: every piece must reach the client decodable, not held in the compressor.
  const std::string pieces[] = {prose(700), "{\"second\": \"piece\"}" + prose(400), prose(300) + "end"};
  // A raw upstream, so that the test decides when each piece is written.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  CompressingProxy proxy(ntohs(addr.sin_port));

  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(get_with("/events", "gzip")));
  const int upstream_fd = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(upstream_fd, 0);
  char request[4096];
  ASSERT_GT(::read(upstream_fd, request, sizeof request), 0);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(::write(upstream_fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));

  Gunzip gunzip;
  std::string raw;     // what the client received, with its chunk framing
  std::string decoded;
  for (const std::string& piece : pieces) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    const std::string chunk = size + piece + "\r\n";
    ASSERT_EQ(::write(upstream_fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    // Read until what arrived decodes to this piece's end.
    const std::string want = decoded + piece;
    for (int i = 0; i < 50 && decoded != want; ++i) {
      raw += client.read_some(100ms);
      // Strip chunk framing from everything read so far (a chunk may arrive split).
      std::string body;
      std::size_t at = raw.find("\r\n\r\n");
      if (at == std::string::npos) continue;
      at += 4;
      while (at < raw.size()) {
        const std::size_t eol = raw.find("\r\n", at);
        if (eol == std::string::npos) break;
        const std::size_t n = std::stoul(raw.substr(at, eol - at), nullptr, 16);
        if (n == 0 || eol + 2 + n + 2 > raw.size()) break;
        body += raw.substr(eol + 2, n);
        at = eol + 2 + n + 2;
      }
      Gunzip fresh;
      decoded = fresh.feed(body);
    }
    ASSERT_EQ(decoded, want) << "a piece was held back by the compressor";
  }
  EXPECT_NE(raw.find("Content-Encoding: gzip\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  const std::string end = "0\r\n\r\n";
  ASSERT_EQ(::write(upstream_fd, end.data(), end.size()), 5);
  for (int i = 0; i < 50 && raw.find("\r\n0\r\n\r\n") == std::string::npos; ++i) raw += client.read_some(100ms);
  EXPECT_NE(raw.find("\r\n0\r\n\r\n"), std::string::npos) << "the encoded body never ended";
  ::close(upstream_fd);
  ::close(listener);
}

TEST(Compression, AStreamedAnswerToAnHttp10ClientEndsWithTheConnection) {
  ScriptedUpstream upstream([](const UpstreamRequest&) {
    return UpstreamReply{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         chunked(kBody, 500)};
  });
  CompressingProxy proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send("GET /x HTTP/1.0\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n"));
  const std::string all = client.read_until_closed();
  const std::size_t body_at = all.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  const std::string head = all.substr(0, body_at);
  EXPECT_NE(head.find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(python_gunzip(all.substr(body_at + 4)), kBody);
}

TEST(Compression, ABodyAnnouncedAboveMaxLengthGoesAsItIs) {
  const std::string big = prose(5000);
  ScriptedUpstream upstream([&](const UpstreamRequest&) { return ok(big, "Content-Type: text/plain\r\n"); });
  CompressingProxy proxy(upstream.port(), R"({"max_length": 4096})");
  const auto r = fetch(proxy.port(), get_with("/big", "gzip"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->header("Content-Encoding"));
  EXPECT_EQ(r->body, big);
}

}  // namespace
}  // namespace surge::test
