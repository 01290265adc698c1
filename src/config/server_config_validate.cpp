// validate(ServerConfig): the rules of <surge/config.hpp>.

#include <surge/config.hpp>

#include "config/field_rules.hpp"
#include "net/listen_address.hpp"

namespace surge {

void validate(const ServerConfig& c) {
  using detail::ServerRanges;
  const detail::FieldCheck check;
  check.require(!c.listen.empty(), "listen", "at least one address is required");
  for (std::size_t i = 0; i < c.listen.size(); ++i) {
    std::string error;
    check.require(detail::parse_listen_address(c.listen[i], error).has_value(), "listen/" + std::to_string(i),
                  "\"" + c.listen[i] + "\" is not a listen address: " + error);
  }
  // Said in its own words: --threads reaches here without a reader's range check.
  check.require(ServerRanges::kThreads.contains(c.threads), "threads",
                "expected at most " + std::to_string(ServerRanges::kThreads.max) + " workers");
  check.range("backlog", c.backlog, ServerRanges::kBacklog);
  check.fields(c.limits, "limits/");
  check.require(c.limits.max_request_line_bytes <= c.limits.max_header_bytes, "limits/max_request_line_bytes",
                "must not exceed limits.max_header_bytes");
  for (char ch : c.server_header) {
    const auto u = static_cast<unsigned char>(ch);
    check.require(u >= 0x20 && u != 0x7f, "server_header", "must not contain control characters");
  }
  check.fields(c.timeouts, "timeouts/");
  check.fields(c.shutdown, "shutdown/");
  check.fields(c.pools, "pools/");
  check.fields(c.offload, "offload/");
}

}  // namespace surge
