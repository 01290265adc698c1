#include "middleware/id_generator.hpp"

#include <random>

namespace surge::detail {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

IdGenerator::IdGenerator(std::uint64_t seed) {
  // splitmix64 outputs are a bijection of distinct inputs, so the four words cannot all be zero.
  for (std::uint64_t& word : s_)
    word = splitmix64(seed);
}

std::uint64_t IdGenerator::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void IdGenerator::hex128(std::span<char, 32> out) {
  std::uint64_t hi = 0, lo = 0;
  while ((hi | lo) == 0) {  // W3C forbids the all-zero trace-id; odds 2^-128, but cheap to rule out
    hi = next();
    lo = next();
  }
  write_hex(hi, out.data());
  write_hex(lo, out.data() + 16);
}

void IdGenerator::hex64(std::span<char, 16> out) {
  std::uint64_t v = 0;
  while (v == 0)
    v = next();
  write_hex(v, out.data());
}

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

void write_hex(std::uint64_t v, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[v & 0xf];
    v >>= 4;
  }
}

}  // namespace surge::detail
