#pragma once
// Worker share: how a process-wide rate limit becomes the per-worker buckets that enforce it.

#include <cstdint>

#include "limit/token_bucket.hpp"

namespace surge::detail {

/// Buckets live per worker (no shared writes on the request path), so a limit configured for the
/// process is enforced by N independent buckets. Which share each gets is a trade-off:
///
/// kSplit (default): each worker gets rate R/N (exactly: R per N x `per`) and burst ceil(B/N).
///   Never over-admits: in any interval t the process admits at most R*t/per + N*ceil(B/N)
///   <= R*t/per + B + N - 1 requests. Under-admits a key whose traffic reaches few workers: a
///   client whose requests all land on one worker (one keep-alive connection; SO_REUSEPORT hashes
///   each connection to one worker) gets R/N. A client with c connections reaches on average
///   N*(1 - (1 - 1/N)^c) workers: N = 8, c = 6 (a browser) -> 4.4 workers -> 0.55 R. Behind a load
///   balancer that multiplexes many clients over many connections, each client's requests spread
///   over all workers and the split is accurate. For the keyless (global) bucket the split is
///   accurate when load is spread evenly over workers, which SO_REUSEPORT gives with many
///   connections; use SharedTokenBucket when it must be exact.
/// kFull: each worker gets the whole R and B. Never under-admits a single-connection client, but a
///   key spread over k workers may get up to k*R (N*R at worst). For per-client limits on direct
///   (not proxied) traffic where clients hold one connection.
enum class WorkerShare : std::uint8_t { kSplit, kFull };

/// The per-worker config for a process-wide `config` enforced by `workers` buckets (0 counts as 1).
TokenBucketConfig per_worker_config(const TokenBucketConfig& config, std::uint32_t workers,
                                    WorkerShare share = WorkerShare::kSplit);

}  // namespace surge::detail
