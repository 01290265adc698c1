#pragma once
// IdGenerator: a per-worker pseudo-random source of request, trace and span ids.

#include <cstdint>
#include <span>

namespace surge::detail {

/// xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2^256 - 1, passes BigCrush,
/// a few adds, shifts and rotations per 64-bit output. Not cryptographic: an observer of a few
/// outputs can predict the next ones, so ids made from it are unique but not secret.
/// Single-threaded: one per worker.
class IdGenerator final {
 public:
  /// The state is expanded from `seed` with splitmix64 (never all zeros, whatever the seed).
  explicit IdGenerator(std::uint64_t seed = 0);

  std::uint64_t next();
  /// 128 random bits as 32 lowercase hex digits; never all zeros (a valid W3C trace-id).
  void hex128(std::span<char, 32> out);
  /// 64 random bits as 16 lowercase hex digits; never all zeros (a valid W3C parent-id).
  void hex64(std::span<char, 16> out);

 private:
  std::uint64_t s_[4]{};
};

/// 64 bits from std::random_device: may be a system call, so for start-up only.
std::uint64_t random_seed();

/// Writes the 16 lowercase hex digits of v to out[0..16).
void write_hex(std::uint64_t v, char* out);

}  // namespace surge::detail
