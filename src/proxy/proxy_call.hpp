#pragma once
// ProxyCall: one request forwarded to an upstream and its response brought back.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "http/exchange.hpp"
#include "http/exchange_owner.hpp"
#include "http/response_parser.hpp"
#include "memory/byte_buffer.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/proxy_route.hpp"
#include "upstream/upstream_pools.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

/// Lives from the handler until the response's end on the request's worker, in the exchange's
/// task slot (it is told of the request body, the client's appetite for the response, and the
/// exchange's end) and as the user of one upstream connection (its events and deadlines). All
/// I/O on the upstream happens in the connection's event callbacks: work the session hands over
/// inside its own call-outs (a body piece, the client's room) is posted to the connection first,
/// so a failure never unwinds through the session.
///
/// The request goes upstream as it arrives, re-framed (Content-Length or chunked), and the
/// response comes back as it arrives, with back-pressure both ways: the client's body pauses
/// while the upstream has not taken 64 KiB, and the upstream is not read while the client is
/// behind. Memory is the connection's read buffer and the request bytes not yet sent.
class ProxyCall final : public ExchangeTask, public UpstreamUser, public ProtocolSwitch {
 public:
  /// A call for exchange with a connection to one of pool's hosts (idle or connecting), or null
  /// when none can be had: then status and reason say what to answer (503: the host has no
  /// address; 502: the connect could not start).
  static ProxyCall* create(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool,
                           spdlog::logger& log, int& status, std::string_view& reason);
  /// The exchange is suspended (its answer pending): the request goes now.
  void begin();
  /// The exchange could not be suspended: gives the connection back unused and goes.
  void discard();

  bool on_request_body(std::string_view piece) override;
  void on_request_body_end() override;
  void on_response_writable() override;
  void on_cancelled() override;

  void on_upstream_events(std::uint32_t events) override;
  void on_upstream_deadline() override;

  bool take_client(int fd, std::string_view unsent, std::string_view unread) override;

 private:
  ProxyCall(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool, spdlog::logger& log);
  ~ProxyCall() = default;

  // What the request waits for (the connection's one armed deadline, or the backoff's).
  enum class Waiting : std::uint8_t { kNothing, kConnect, kSend, kResponse, kClient, kBackoff };

  // The wait before a retry (retry.backoff_*): on the pool's clock, with no connection.
  class Backoff final : public UpstreamWaiter {
   public:
    explicit Backoff(ProxyCall& call) : call_(call) {}
    void on_deadline() override { call_.on_backoff_end(); }

   private:
    ProxyCall& call_;
  };

  // Hosts one request may try (the first included): retry.tries, at most this.
  static constexpr std::size_t kMaxTries = 16;

  // Why a try failed, as retry.on names them; kStatus: an answer retry.statuses lists.
  enum class TryFailure : std::uint8_t { kConnect, kReset, kTimeout, kStatus };

  bool open_connection(HostPick pick, bool fresh_only, int& status, std::string_view& reason);
  /// A host this request has not tried (the balancer's choice), or one with host == kNoHost.
  HostPick next_host();
  /// A try failed before the response reached the client: the request goes to another host when
  /// it may (see the definition); false when it may not, and the caller fails it.
  bool try_next_host(TryFailure failure, std::string_view reason);
  /// The head just parsed is one retry.statuses lists, and another host may be asked instead.
  bool retry_on_status();
  /// Sends the request to `next` (or the hosts after it when a connect cannot start); true, or
  /// the request failed.
  bool send_to(HostPick next, std::string_view reason);
  /// The backoff's length before this retry, zero for none.
  Clock::duration backoff_delay();
  void on_backoff_end();
  void settle(HostOutcome outcome, int status = 0);
  /// A connect this request started has ended (or will not happen): limits.max_pending.
  void end_pending();
  void rewrite_head();
  void pump();
  bool finish_connect();
  bool flush();
  void read_response();
  bool parse_buffered();
  bool begin_response();
  void observe_head();
  std::string_view host_address() const;
  void switch_to_tunnel();
  void keep_for_stale();
  void end_response();
  bool retry_if_raced(std::string_view reason);
  void fail(int status, std::string_view flag, std::string_view reason);
  void post();
  void wait_for(Waiting what);
  void release_connection(bool reusable);
  ResponseTo response_to() const;
  bool exchange_done_cleanly() const;
  void destroy();

  Exchange* exchange_;
  const ProxyRoute& route_;
  ClusterPool& pool_;
  spdlog::logger& log_;
  HostPool* host_ = nullptr;
  HostPick pick_;                  // the try in progress, until its outcome is settled
  std::optional<std::uint64_t> key_;  // what a hashing balancer hashes
  UpstreamConnection* connection_ = nullptr;
  ByteBuffer out_;                 // request bytes for the upstream; from the head on while replayable
  std::size_t sent_ = 0;           // bytes of out_ written
  std::size_t head_size_ = 0;      // the head's bytes at the front of out_ (0: not written yet)
  std::size_t parsed_ = 0;         // parse position in the connection's input
  std::optional<ResponseParser> parser_;
  std::array<HeaderEntry, 100> fields_{};
  UpstreamFraming framing_ = UpstreamFraming::kNone;
  // When the request was taken (latencies count from here). Times are the loop's, read once per
  // round as nginx's $upstream_*_time are: no clock read per request.
  Clock::time_point started_{};
  Clock::time_point connect_started_{};
  Waiting waiting_ = Waiting::kNothing;
  int depth_ = 0;                  // calls in progress on this object (it goes when the last ends)
  bool done_ = false;              // finished: freed once depth_ is 0
  bool request_sent_ = false;      // the whole request (body included) was handed to the kernel
  bool body_ended_ = false;        // the client's body is complete
  bool body_paused_ = false;       // on_request_body said stop
  bool responding_ = false;        // the response head went to the client
  bool client_behind_ = false;     // write_body said stop
  bool replayable_ = false;        // out_ holds the whole request so far and it may be sent again
  bool retried_ = false;
  bool sent_any_ = false;          // request bytes reached some upstream socket
  bool held_ = true;               // out_ holds the whole request from its head (it can go again)
  bool counted_ = false;           // counted in the pool's calls in flight
  bool capped_ = false;            // counted in the cluster's in_flight (limits.max_requests)
  bool pending_ = false;           // counted in the cluster's pending (limits.max_pending)
  bool try_armed_ = false;         // this try's per-try timeout is running (not re-armed by reads)
  TryFailure backoff_failure_ = TryFailure::kReset;  // what sent the request into its backoff
  Backoff backoff_{*this};
  bool in_budget_ = false;         // counted in the pool's retries in flight
  std::uint8_t tries_ = 0;         // hosts tried, this one included
  std::array<std::uint32_t, kMaxTries> tried_{};
  bool upgrade_ = false;           // the client asked to switch protocols (a 101 may answer)
  bool in_pump_ = false;
  bool again_ = false;             // something changed during the pump: go round once more
};

}  // namespace surge::detail
