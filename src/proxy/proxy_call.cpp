// ProxyCall: one forwarded request. Longer than the project's usual file: the request's way up
// and the response's way back share one state (what was sent, what may be replayed, whether the
// client has the head), and every failure must be judged against all of it in one place.
#include "proxy/proxy_call.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cstdio>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <spdlog/spdlog.h>

#include "http/grammar.hpp"
#include "http/response_state.hpp"
#include "proxy/balance_key.hpp"
#include "proxy/tunnel.hpp"

namespace surge::detail {
namespace {

// Request bytes kept for a replay (the keep-alive race): a larger body is not replayed.
constexpr std::size_t kReplayLimit = 64 * 1024;
// Request bytes waiting for the upstream before the client's body pauses.
constexpr std::size_t kBodyHighWater = 64 * 1024;
// The least room a read is given: the buffer is a block of the worker's slab pool (a larger one
// would come from the heap for every request, since an idle connection gives its buffer back).
constexpr std::size_t kReadRoom = 1024;
// Forwarded body bytes are dropped from the front of the buffer once they are this many.
constexpr std::size_t kCompactAfter = 2048;

// Go's rule (net/http Request.isReplayable): these methods, or a request with an Idempotency-Key.
bool replayable_request(const Exchange& ex) {
  switch (ex.head().method) {
    case Method::kGet:
    case Method::kHead:
    case Method::kOptions:
    case Method::kTrace:
    case Method::kPut:
    case Method::kDelete:
      return true;
    default:
      break;
  }
  for (std::size_t i = 0; i < ex.head().header_count; ++i) {
    if (iequals(ex.view(ex.header(i).name), "idempotency-key")) return true;
  }
  return false;
}

// One more request under a cap shared by the workers (limits.max_requests, max_pending): false,
// and nothing counted, when it is full.
bool take_slot(std::atomic<std::uint32_t>& count, std::uint32_t cap) {
  if (count.fetch_add(1, std::memory_order_relaxed) < cap) return true;
  count.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

// Keeps a ProxyCall alive across a call into the session, which may end the exchange (and with
// it the call) before it returns.
class Hold {
 public:
  explicit Hold(int& depth) : depth_(depth) { ++depth_; }
  ~Hold() { --depth_; }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;

 private:
  int& depth_;
};

}  // namespace

ProxyCall::ProxyCall(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool, spdlog::logger& log)
    : exchange_(&exchange), route_(route), pool_(pool), log_(log), out_(&pool.buffers()) {}

ProxyCall* ProxyCall::create(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool,
                             spdlog::logger& log, int& status, std::string_view& reason) {
  // From the pool's block cache: a warm worker proxies without allocating.
  auto* call = new (pool.take_block(sizeof(ProxyCall))) ProxyCall(exchange, route, pool, log);
  call->started_ = pool.poller().now();
  call->framing_ = upstream_framing(exchange.head());
  call->body_ended_ = call->framing_ == UpstreamFraming::kNone;
  call->replayable_ = replayable_request(exchange) || route.retry.non_idempotent;
  call->upgrade_ = !requested_upgrade(exchange).empty();
  call->parser_.emplace(route.limits, call->fields_.data(), call->response_to());
  if (call->upgrade_ && !pool.tunnel_room()) {
    pool.stats().tunnels_refused.add();
    status = 503;
    reason = "too many tunnels (tunnels.max_per_worker)";
    log.warn("upstream \"{}\": {} (503)", pool.cluster().name(), reason);
    call->destroy();
    return nullptr;
  }
  if (const std::uint32_t cap = pool.cluster().config().limits.max_requests; cap != 0) {
    // Envoy's max_requests: the upstream's load stays bounded whatever the clients do.
    if (!take_slot(pool.cluster().in_flight(), cap)) {
      pool.stats().over_limits.add();
      status = 503;
      reason = "upstream at its limit of requests in flight (limits.max_requests)";
      log.warn("upstream \"{}\": {} (503)", pool.cluster().name(), reason);
      call->destroy();
      return nullptr;
    }
    call->capped_ = true;
  }
  pool.count_call(1);
  call->counted_ = true;
  call->key_ = balance_key(exchange, pool.cluster().config().balance);
  bool opened = false;
  for (HostPick pick = call->next_host(); pick.host != kNoHost; pick = call->next_host()) {
    opened = call->open_connection(pick, false, status, reason);
    if (opened) break;
    log.warn("upstream \"{}\" {}: {} ({} {})", pool.cluster().name(), call->host_address(), reason, status,
             status == 503 ? "UH" : "UF");
  }
  if (!opened && call->tries_ == 0) {
    pool.stats().no_usable_host.add();
    status = 503;
    reason = "no usable upstream host (ejected, failing health checks or breaker open)";
    log.warn("upstream \"{}\": {} (503 UH)", pool.cluster().name(), reason);
  }
  if (!opened) {
    exchange.async().upstream = {call->host_address(), 0, Clock::duration::zero()};
    call->destroy();
    return nullptr;
  }
  return call;
}

void ProxyCall::begin() {
  write_upstream_head(out_, *exchange_, route_.forward, host_address());
  head_size_ = out_.size();
  exchange_->async().task = this;
  if (!connection_->connecting()) {
    // A pooled connection: the request goes in this step, as nginx sends it. Whatever the kernel
    // does not take at once, and any failure, is left to the connection's callback (posted), so
    // nothing fails inside the handler.
    const IoResult r = connection_->socket().send(out_.data(), out_.size());
    if (r.status == IoStatus::kDone) {
      sent_ = r.bytes;
      sent_any_ = r.bytes > 0;
    }
    if (sent_ == out_.size() && body_ended_) {
      request_sent_ = true;
      wait_for(Waiting::kResponse);  // the answer's input edge drives the rest
      return;
    }
  }
  post();
}

void ProxyCall::discard() {
  if (connection_ != nullptr) host_->close(*connection_);
  destroy();
}

bool ProxyCall::open_connection(HostPick pick, bool fresh_only, int& status, std::string_view& reason) {
  host_ = &pool_.host(pick.host);
  pick_ = pick;
  try_armed_ = false;
  if (tries_ < tried_.size()) tried_[tries_++] = static_cast<std::uint32_t>(pick.host);
  connection_ = fresh_only ? nullptr : host_->take_idle(*this);
  const bool reused = connection_ != nullptr;
  if (connection_ == nullptr) {
    if (const std::uint32_t cap = pool_.cluster().config().limits.max_pending; cap != 0) {
      if (!take_slot(pool_.cluster().pending(), cap)) {
        pool_.stats().over_limits.add();
        settle(HostOutcome::kAbandoned);
        status = 503;
        reason = "upstream at its limit of requests waiting for a connection (limits.max_pending)";
        return false;
      }
      pending_ = true;
    }
    boost::system::error_code ec;
    connection_ = host_->connect(*this, ec);
    if (connection_ == nullptr) {
      end_pending();
      settle(HostOutcome::kGatewayFailure);
      const bool no_address = ec == boost::asio::error::host_not_found;
      status = no_address ? 503 : 502;
      reason = no_address ? "no address for the upstream host" : "cannot connect to the upstream";
      return false;
    }
    connect_started_ = pool_.poller().now();
    wait_for(Waiting::kConnect);
  }
  connection_->count_request();
  host_->stats().requests.add();
  if (reused) host_->stats().reused.add();
  return true;
}

void ProxyCall::post() {
  if (in_pump_) {
    again_ = true;
    return;
  }
  if (connection_ != nullptr) pool_.poller().post(*connection_);
}

// --- The exchange's side ---------------------------------------------------------------------

bool ProxyCall::on_request_body(std::string_view piece) {
  if (done_) return false;
  if (framing_ == UpstreamFraming::kChunked) {
    char size[20];
    const int n = std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    out_.append(std::string_view(size, static_cast<std::size_t>(n)));
    out_.append(piece);
    out_.append("\r\n");
  } else {
    out_.append(piece);
  }
  if (replayable_ && out_.size() > kReplayLimit) replayable_ = false;
  post();
  if (out_.size() - sent_ < kBodyHighWater) return true;
  body_paused_ = true;
  return false;
}

void ProxyCall::on_request_body_end() {
  if (done_ || body_ended_) return;
  if (framing_ == UpstreamFraming::kChunked) out_.append("0\r\n\r\n");
  body_ended_ = true;
  post();
}

void ProxyCall::on_response_writable() {
  if (done_) return;
  client_behind_ = false;
  post();
}

void ProxyCall::on_cancelled() {
  // The exchange is gone once this returns: nothing of it is touched again.
  exchange_ = nullptr;
  settle(HostOutcome::kAbandoned);
  if (connection_ != nullptr) {
    release_connection(exchange_done_cleanly());
  }
  done_ = true;
  if (depth_ == 0) destroy();
}

// --- The upstream's side ---------------------------------------------------------------------

void ProxyCall::on_upstream_events(std::uint32_t events) {
  {
    Hold hold(depth_);
    // While connecting, only the connect's end (an output edge or an error) matters.
    const bool connected = !done_ && connection_ != nullptr &&
                           (!connection_->connecting() ||
                            ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 && finish_connect()));
    if (connected) pump();
  }
  if (done_ && depth_ == 0) destroy();
}

void ProxyCall::on_upstream_deadline() {
  {
    Hold hold(depth_);
    if (!done_) {
      switch (waiting_) {
        case Waiting::kConnect:
          host_->stats().timeouts.add();
          if (!try_next_host(TryFailure::kConnect, "upstream connect timed out")) {
            fail(504, "UT", "upstream connect timed out");
          }
          break;
        case Waiting::kSend:
          host_->stats().timeouts.add();
          if (!try_next_host(TryFailure::kTimeout, "upstream timed out taking the request")) {
            fail(504, "UT", "upstream timed out taking the request");
          }
          break;
        case Waiting::kResponse:
          host_->stats().timeouts.add();
          if (!try_next_host(TryFailure::kTimeout, "upstream timed out")) fail(504, "UT", "upstream timed out");
          break;
        case Waiting::kNothing:
        case Waiting::kClient:
        case Waiting::kBackoff:
          break;
      }
    }
  }
  if (done_ && depth_ == 0) destroy();
}

bool ProxyCall::finish_connect() {
  end_pending();
  if (boost::system::error_code ec = connection_->socket().finish_connect()) {
    host_->stats().connect_failures.add();
    if (!try_next_host(TryFailure::kConnect, "upstream connect failed")) fail(502, "UF", "upstream connect failed");
    return false;
  }
  connection_->set_connecting(false);
  connection_->socket().set_nodelay();
  host_->stats().connect.observe(pool_.poller().now() - connect_started_);
  wait_for(Waiting::kNothing);
  return true;
}

void ProxyCall::pump() {
  if (in_pump_) {
    again_ = true;
    return;
  }
  in_pump_ = true;
  do {
    again_ = false;
    if (!flush() || done_) break;
    read_response();
  } while (again_ && !done_);
  in_pump_ = false;
}

bool ProxyCall::flush() {
  Socket& socket = connection_->socket();
  while (sent_ < out_.size()) {
    const IoResult r = socket.send(out_.data() + sent_, out_.size() - sent_);
    if (r.status == IoStatus::kDone) {
      sent_ += r.bytes;
      sent_any_ = true;
      continue;
    }
    if (r.status == IoStatus::kWouldBlock) {
      if (!socket.output_watched() && socket.watch_output()) {
        fail(502, "UC", "upstream connection failed");
        return false;
      }
      wait_for(Waiting::kSend);
      return true;
    }
    // The upstream closed or reset while taking the request.
    if (retry_if_raced("upstream closed a reused connection while taking the request")) return !done_;
    host_->stats().resets.add();
    if (try_next_host(TryFailure::kReset, "upstream closed the connection while taking the request")) return !done_;
    fail(502, "UC", "upstream connection closed while sending the request");
    return false;
  }
  if (!replayable_) {
    out_.clear();
    sent_ = 0;
    held_ = false;
  }
  if (body_ended_ && !request_sent_) {
    request_sent_ = true;
    if (!replayable_ || retried_) {
      out_.release();
      held_ = false;
    }
  }
  wait_for(request_sent_ ? Waiting::kResponse : Waiting::kClient);
  if (body_paused_ && exchange_ != nullptr) {
    body_paused_ = false;
    exchange_->async().owner->resume_request_body();  // may hand over more body: again_ is set
  }
  return !done_;
}

void ProxyCall::read_response() {
  ByteBuffer& in = connection_->input();
  for (;;) {
    if (!parse_buffered() || done_) return;
    if (client_behind_) {
      wait_for(Waiting::kNothing);  // the client's own write timeout judges it now
      return;
    }
    const std::size_t room = in.writable(kReadRoom);
    const IoResult r = connection_->socket().receive(in.data() + in.size(), room);
    switch (r.status) {
      case IoStatus::kDone:
        in.commit(r.bytes);
        if (request_sent_) wait_for(Waiting::kResponse);  // the read timeout is between reads
        continue;
      case IoStatus::kWouldBlock:
        return;
      case IoStatus::kEnd: {
        boost::system::error_code ec;
        parser_->on_eof(ec);
        if (!ec) {
          end_response();  // a body read until close ends here
          return;
        }
        if (classify_upstream(ec) == UpstreamError::kNoResponse &&
            retry_if_raced("upstream closed a reused connection before answering")) {
          return;
        }
        host_->stats().resets.add();
        if (classify_upstream(ec) == UpstreamError::kNoResponse &&
            try_next_host(TryFailure::kReset, "upstream closed the connection before answering")) {
          return;
        }
        fail(502, "UC", responding_ ? "upstream closed before the end of the response"
                                    : "upstream closed the connection before answering");
        return;
      }
      case IoStatus::kError:
        if (!parser_->started() && retry_if_raced("upstream reset a reused connection before answering")) return;
        host_->stats().resets.add();
        if (try_next_host(TryFailure::kReset, "upstream reset the connection")) return;
        fail(502, "UC", responding_ ? "upstream reset during the response" : "upstream reset the connection");
        return;
    }
  }
}

bool ProxyCall::parse_buffered() {
  ByteBuffer& in = connection_->input();
  for (;;) {
    boost::system::error_code ec;
    const std::size_t used = parser_->parse(in.data(), parsed_, in.size(), ec);
    parsed_ += used;
    if (ec && ec != boost::beast::http::error::need_more) {
      host_->stats().bad_responses.add();
      fail(502, "UB", info(classify_upstream(ec)).message);
      return false;
    }
    if (!responding_ && parser_->header_done()) {
      if (parser_->head().interim()) {
        // 100 Continue, 103 Early Hints: surged answered the client's expectation itself.
        in.erase_front(parsed_);
        parsed_ = 0;
        parser_.emplace(route_.limits, fields_.data(), response_to());
        continue;
      }
      observe_head();
      if (retry_on_status()) return false;
      if (parser_->head().switching_protocols()) {
        switch_to_tunnel();
        return false;
      }
      if (!begin_response()) return false;
      continue;
    }
    if (responding_) {
      const Span piece = parser_->body_piece();
      if (piece.size > 0) {
        const bool more = exchange_->async().owner->write_body(piece.in(in.data()));
        if (done_) return false;
        if (!more) client_behind_ = true;
      }
      // What was forwarded goes: the buffer holds one read, whatever the body's size.
      if (parsed_ == in.size()) {
        in.clear();
        parsed_ = 0;
      } else if (parsed_ >= kCompactAfter) {
        in.erase_front(parsed_);
        parsed_ = 0;
      }
      if (parser_->done()) {
        end_response();
        return false;
      }
      if (client_behind_) return true;
    }
    if (ec == boost::beast::http::error::need_more || (used == 0 && !ec)) return true;
  }
}

bool ProxyCall::begin_response() {
  const ResponseHead& h = parser_->head();
  ResponseState& response = exchange_->response();
  ByteBuffer& in = connection_->input();
  response.clear();
  response.set_status(h.status);
  for (std::size_t i = 0; i < h.header_count; ++i) {
    const HeaderEntry& f = fields_[i];
    if (passes_to_client(f, in.data(), fields_.data(), h.header_count)) {
      response.append_header(f.name.in(in.data()), f.value.in(in.data()));
    }
  }
  response.mark_answered();
  const bool head_request = exchange_->head().method == Method::kHead;
  const bool whole = (h.body == ResponseBody::kNone && !head_request) ||
                     (h.body == ResponseBody::kContentLength && in.size() - parsed_ >= h.content_length);
  ExchangeOwner* owner = exchange_->async().owner;
  if (whole) {
    // The whole response is here (the common small answer): it goes as a plain body, without the
    // streaming machinery, and the connection is back in the pool before the client's write.
    while (!parser_->done()) {
      boost::system::error_code ec;
      parsed_ += parser_->parse(in.data(), parsed_, in.size(), ec);
      if (ec && ec != boost::beast::http::error::need_more) {
        host_->stats().bad_responses.add();
        fail(502, "UB", info(classify_upstream(ec)).message);
        return false;
      }
      response.body().append(parser_->body_piece().in(in.data()));
      if (ec) break;
    }
    if (route_.stale_if_error.enabled) keep_for_stale();
    release_connection(exchange_done_cleanly());
    host_->stats().total.observe(pool_.poller().now() - started_);
    responding_ = true;
    done_ = true;
    exchange_->async().task = nullptr;
    exchange_ = nullptr;
    owner->complete();
    return false;
  }
  std::uint64_t length = ResponseState::kUnknownLength;
  if (h.has_content_length && (h.body == ResponseBody::kContentLength || head_request)) length = h.content_length;
  response.set_stream_body(length);
  responding_ = true;
  owner->complete();  // the head goes out; HEAD, 204 and 304 end the exchange here (on_cancelled)
  return !done_;
}

void ProxyCall::keep_for_stale() {
  // A whole 200 to a GET, not marked no-store or private (RFC 9111 5.2.2): what a later failure
  // may be answered with.
  const ResponseHead& h = parser_->head();
  if (h.status != 200 || exchange_->head().method != Method::kGet) return;
  const char* base = connection_->input().data();
  const std::string_view control = field_value("cache-control", base, fields_.data(), h.header_count);
  if (list_has_token(control, "no-store") || list_has_token(control, "private")) return;
  StaleCache& cache = stale_cache(route_, pool_);
  const std::string key =
      stale_key(exchange_->view(exchange_->head().host), exchange_->view(exchange_->head().target));
  const Clock::time_point now = pool_.poller().now();
  if (!cache.wants(key, now)) return;
  StaleCache::Entry entry;
  entry.status = h.status;
  entry.stored = now;
  for (std::size_t i = 0; i < h.header_count; ++i) {
    const HeaderEntry& f = fields_[i];
    if (passes_to_client(f, base, fields_.data(), h.header_count)) {
      entry.headers.emplace_back(f.name.in(base), f.value.in(base));
    }
  }
  const ByteBuffer& body = exchange_->response().body();
  entry.body.assign(body.data(), body.size());
  cache.store(key, std::move(entry));
}

void ProxyCall::switch_to_tunnel() {
  // The parser let a 101 through only because the client asked to upgrade.
  if (!request_sent_) {
    host_->stats().bad_responses.add();
    fail(502, "UB", "upstream switched protocols before taking the whole request");
    return;
  }
  const ResponseHead& h = parser_->head();
  ResponseState& response = exchange_->response();
  const char* base = connection_->input().data();
  response.clear();
  response.set_status(101);
  for (std::size_t i = 0; i < h.header_count; ++i) {
    const HeaderEntry& f = fields_[i];
    if (passes_to_client(f, base, fields_.data(), h.header_count)) {
      response.append_header(f.name.in(base), f.value.in(base));
    }
  }
  // The hop-by-hop pair that makes the switch, for the client's leg: the protocol the upstream
  // chose (the client's own offer when it named none).
  std::string_view protocol = field_value("upgrade", base, fields_.data(), h.header_count);
  if (protocol.empty()) protocol = requested_upgrade(*exchange_);
  response.append_header("Upgrade", protocol);
  response.append_header("Connection", "upgrade");
  response.mark_answered();
  ExchangeOwner* owner = exchange_->async().owner;
  if (!owner->switch_protocols(*this)) {
    response.clear();
    fail(502, "UB", "the client connection cannot switch protocols now");
    return;
  }
  // The session is closed, the connection is the tunnel's: nothing of either is touched again.
  done_ = true;
  exchange_ = nullptr;
  connection_ = nullptr;
}

bool ProxyCall::take_client(int fd, std::string_view unsent, std::string_view unread) {
  ByteBuffer& in = connection_->input();
  // What the client is owed: the 101's head, then whatever the upstream sent behind its own.
  std::string_view early(in.data() + parsed_, in.size() - parsed_);
  std::string to_client;  // no allocation worth avoiding: once per tunnel
  to_client.reserve(unsent.size() + early.size());
  to_client.append(unsent).append(early);
  log_.debug("upstream \"{}\" {}: switching protocols", pool_.cluster().name(),
             pool_.cluster().hosts()[host_->index()]->address());
  return Tunnel::open(pool_, *host_, *connection_, fd, to_client, unread, log_);
}

void ProxyCall::observe_head() {
  HostStats& stats = host_->stats();
  const int status = parser_->head().status;
  const Clock::duration elapsed = pool_.poller().now() - started_;
  stats.count_response(status);
  stats.first_byte.observe(elapsed);
  exchange_->async().upstream = {host_address(), status, elapsed};
  settle(HostOutcome::kAnswered, status);
}

void ProxyCall::settle(HostOutcome outcome, int status) {
  if (pick_.host != kNoHost) pool_.settle(pick_, outcome, status, log_);
}

void ProxyCall::end_pending() {
  if (!pending_) return;
  pending_ = false;
  pool_.cluster().pending().fetch_sub(1, std::memory_order_relaxed);
}

bool ProxyCall::retry_on_status() {
  const std::vector<int>& statuses = route_.retry.statuses;
  const int status = parser_->head().status;
  if (statuses.empty() || std::find(statuses.begin(), statuses.end(), status) == statuses.end()) return false;
  char reason[48];
  const int n = std::snprintf(reason, sizeof(reason), "upstream answered %d", status);
  return try_next_host(TryFailure::kStatus, std::string_view(reason, static_cast<std::size_t>(n)));
}

std::string_view ProxyCall::host_address() const {
  return host_ != nullptr ? std::string_view(pool_.cluster().hosts()[host_->index()]->address()) : "-";
}

void ProxyCall::end_response() {
  host_->stats().total.observe(pool_.poller().now() - started_);
  release_connection(exchange_done_cleanly());
  ExchangeOwner* owner = exchange_->async().owner;
  done_ = true;
  exchange_ = nullptr;
  owner->end_body();
}

bool ProxyCall::retry_if_raced(std::string_view reason) {
  if (responding_ || retried_ || !replayable_ || parser_->started() || connection_->requests() < 2) return false;
  // Go's and Envoy's answer to the keep-alive race: the upstream closed an idle connection as we
  // reused it. Nothing of the request was answered, and all of it is still here: send it again,
  // once, on a new connection.
  retried_ = true;
  settle(HostOutcome::kAbandoned);  // the race is the pool's, not the host's fault
  end_pending();
  host_->stats().retries.add();
  log_.info("upstream \"{}\" {}: {}; retrying once on a new connection", pool_.cluster().name(),
            pool_.cluster().hosts()[host_->index()]->address(), reason);
  host_->close(*connection_);
  connection_ = nullptr;
  sent_ = 0;
  parsed_ = 0;
  parser_.emplace(route_.limits, fields_.data(), response_to());
  int status = 0;
  std::string_view why;
  const HostPick again = pool_.pick({}, key_, log_);
  if (again.host == kNoHost || !open_connection(again, true, status, why)) {
    if (again.host == kNoHost) status = 503, why = "no usable upstream host";
    fail(status, status == 503 ? "UH" : "UF", why);
    return true;
  }
  rewrite_head();
  pool_.poller().post(*connection_);
  return true;
}

void ProxyCall::rewrite_head() {
  // The head names the host it was written for (Host with "host": "upstream", or a request
  // without Host): written anew for the host it goes to now, the body held behind it kept.
  if (head_size_ == 0 || exchange_ == nullptr) return;
  const std::string body(out_.data() + head_size_, out_.size() - head_size_);  // only on a retry
  out_.clear();
  write_upstream_head(out_, *exchange_, route_.forward, host_address());
  head_size_ = out_.size();
  out_.append(body);
}

HostPick ProxyCall::next_host() {
  if (tries_ >= std::min<std::size_t>(route_.retry.tries, kMaxTries)) return {};
  return pool_.pick(std::span<const std::uint32_t>(tried_.data(), tries_), key_, log_);
}

bool ProxyCall::try_next_host(TryFailure failure, std::string_view reason) {
  // An answer listed in retry.statuses was settled with its status; any other failure counts
  // against the host now, whether or not the request moves on.
  if (failure != TryFailure::kStatus) settle(HostOutcome::kGatewayFailure);
  // nginx's `proxy_next_upstream error timeout`: before the response reached the client, and
  // only when the request is all still here and either never reached the failed host (a connect
  // failure) or may be sent twice (Go's replayable rule, or retry.non_idempotent).
  const UpstreamRetry& retry = route_.retry;
  const bool wanted = failure == TryFailure::kStatus || (failure == TryFailure::kConnect && retry.on_connect_failure) ||
                      (failure == TryFailure::kReset && retry.on_reset) ||
                      (failure == TryFailure::kTimeout && retry.on_timeout);
  if (!wanted || responding_ || !held_ || (sent_any_ && !replayable_) || exchange_ == nullptr ||
      (failure != TryFailure::kStatus && parser_->started())) {
    return false;
  }
  HostPick next = next_host();
  if (next.host == kNoHost) return false;
  if (!in_budget_) {
    if (!pool_.retry_allowed(retry)) {
      pool_.settle(next, HostOutcome::kAbandoned, 0, log_);
      pool_.stats().retry_budget_exhausted.add();
      log_.warn("upstream \"{}\" {}: {}; not sent to another host: the retry budget is spent",
                pool_.cluster().name(), host_address(), reason);
      return false;
    }
    in_budget_ = true;
    pool_.count_retry(1);
  }
  host_->stats().next_host.add();
  if (connection_ != nullptr) host_->close(*connection_);
  connection_ = nullptr;
  end_pending();
  sent_ = 0;
  parsed_ = 0;
  parser_.emplace(route_.limits, fields_.data(), response_to());
  if (const Clock::duration delay = backoff_delay(); delay > Clock::duration::zero()) {
    // The host is chosen again when the wait ends: the cluster may look different by then.
    pool_.settle(next, HostOutcome::kAbandoned, 0, log_);
    log_.info("upstream \"{}\" {}: {}; another host in {} ms", pool_.cluster().name(), host_address(), reason,
              std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    waiting_ = Waiting::kBackoff;
    backoff_failure_ = failure;
    pool_.wait(backoff_, delay);
    return true;
  }
  return send_to(next, reason);
}

Clock::duration ProxyCall::backoff_delay() {
  const UpstreamRetry& retry = route_.retry;
  if (retry.backoff_base.count() == 0) return Clock::duration::zero();
  // The n-th retry's ceiling is base x 2^(n-1), capped; the wait a random eighth of it, so the
  // retries of many requests that failed together spread out (and each eighth keeps its own
  // deadline list in order).
  const unsigned retry_number = std::max<unsigned>(1, tries_);  // hosts tried so far
  const unsigned shift = std::min(retry_number - 1, 20u);
  const auto ceiling = std::min<std::chrono::milliseconds>(retry.backoff_base * (1u << shift), retry.backoff_max);
  const std::uint64_t eighths = pool_.random() % 8 + 1;
  return std::chrono::duration_cast<Clock::duration>(ceiling) * eighths / 8;
}

void ProxyCall::on_backoff_end() {
  {
    Hold hold(depth_);
    if (!done_ && waiting_ == Waiting::kBackoff) {
      waiting_ = Waiting::kNothing;
      const HostPick next = next_host();
      if (next.host == kNoHost) {
        // Nowhere left to go (the other hosts left the rotation meanwhile): the failure that
        // started the wait is the answer.
        const bool timeout = backoff_failure_ == TryFailure::kTimeout;
        fail(timeout ? 504 : 502, timeout ? "UT" : "UC", "no other upstream host to try after a failure");
      } else {
        send_to(next, "backoff over");
      }
    }
  }
  if (done_ && depth_ == 0) destroy();
}

bool ProxyCall::send_to(HostPick next, std::string_view reason) {
  for (;;) {
    log_.info("upstream \"{}\" {}: {}; trying {}", pool_.cluster().name(), host_address(), reason,
              pool_.cluster().hosts()[next.host]->address());
    int status = 0;
    std::string_view why;
    if (open_connection(next, false, status, why)) break;
    reason = why;
    next = next_host();
    if (next.host == kNoHost) {
      fail(status, status == 503 ? "UH" : "UF", why);
      return true;
    }
  }
  rewrite_head();
  pool_.poller().post(*connection_);
  return true;
}

void ProxyCall::fail(int status, std::string_view flag, std::string_view reason) {
  settle(HostOutcome::kGatewayFailure);
  const std::string_view host = host_address();
  log_.warn("upstream \"{}\" {}: {} ({} {})", pool_.cluster().name(), host, reason, responding_ ? 0 : status, flag);
  if (connection_ != nullptr) {
    host_->close(*connection_);
    connection_ = nullptr;
  }
  done_ = true;
  if (exchange_ == nullptr) return;
  Exchange* exchange = exchange_;
  ExchangeOwner* owner = exchange->async().owner;
  const bool responding = responding_;
  exchange->async().task = nullptr;
  exchange_ = nullptr;
  if (responding) {
    owner->abort_body();  // the client sees the connection end before the body's end
    return;
  }
  exchange->async().upstream = {host, 0, pool_.poller().now() - started_};
  answer_without_upstream(*exchange, route_, pool_, status, reason);
  owner->complete();
}

void ProxyCall::wait_for(Waiting what) {
  waiting_ = what;
  if (connection_ == nullptr) return;
  const Clock::time_point now = pool_.poller().now();
  switch (what) {
    case Waiting::kConnect:
      pool_.arm(*connection_, UpstreamWait::kConnect, now);
      break;
    case Waiting::kSend:
      pool_.arm(*connection_, UpstreamWait::kSend, now);
      break;
    case Waiting::kResponse:
      // A per-try timeout runs once from the request's last byte to the head: reads before the
      // head do not extend it. After the head, the read timeout is between reads.
      if (route_.retry.per_try_timeout.count() != 0 && !parser_->header_done()) {
        if (!try_armed_) pool_.arm_for(*connection_, route_.retry.per_try_timeout, now);
        try_armed_ = true;
      } else {
        pool_.arm(*connection_, UpstreamWait::kRead, now);
      }
      break;
    case Waiting::kNothing:
    case Waiting::kClient:
    case Waiting::kBackoff:
      connection_->disarm();
      try_armed_ = false;
      break;
  }
}

ResponseTo ProxyCall::response_to() const {
  return {.head = exchange_->head().method == Method::kHead, .upgrade = upgrade_};
}

bool ProxyCall::exchange_done_cleanly() const {
  // The whole request went up, the whole response came back, and nothing else is on the wire.
  return parser_->done() && parser_->reusable() && request_sent_ && parsed_ == connection_->input().size();
}

void ProxyCall::destroy() {
  settle(HostOutcome::kAbandoned);
  end_pending();
  if (capped_) pool_.cluster().in_flight().fetch_sub(1, std::memory_order_relaxed);
  ClusterPool& pool = pool_;
  if (counted_) pool.count_call(-1);
  if (in_budget_) pool.count_retry(-1);
  this->~ProxyCall();
  pool.give_block(this);
}

void ProxyCall::release_connection(bool reusable) {
  if (connection_ == nullptr) return;
  if (reusable) connection_->input().clear();  // all of it was the response, parsed
  host_->give_back(*connection_, reusable);
  connection_ = nullptr;
}

}  // namespace surge::detail
