// restart_required(): which changes a reload cannot apply, compared section by section with the
// structs' operator== so that no field, however new, is missed.

#include "daemon/service.hpp"

#include <functional>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> after(const std::function<void(DaemonConfig&)>& edit) {
  DaemonConfig next;
  edit(next);
  return restart_required(DaemonConfig{}, next);
}

TEST(RestartRequired, NamesEachEngineSectionThatChanged) {
  const std::vector<std::pair<std::string, std::function<void(DaemonConfig&)>>> edits = {
      {"threads", [](DaemonConfig& c) { c.server.threads = 3; }},
      {"pin_workers", [](DaemonConfig& c) { c.server.pin_workers = true; }},
      {"backlog", [](DaemonConfig& c) { c.server.backlog = 1; }},
      {"server_header", [](DaemonConfig& c) { c.server.server_header = ""; }},
      {"limits", [](DaemonConfig& c) { c.server.limits.max_pipelined_responses = 1; }},
      {"timeouts", [](DaemonConfig& c) { c.server.timeouts.min_rate_grace = 1ms; }},
      {"shutdown", [](DaemonConfig& c) { c.server.shutdown.drain_delay = 1ms; }},
      {"pools", [](DaemonConfig& c) { c.server.pools.release_idle_after = 1ms; }},
      {"offload", [](DaemonConfig& c) { c.server.offload.queue = 1; }},
      {"metrics", [](DaemonConfig& c) { c.metrics.http.max_series_per_worker = 16; }},
  };
  for (const auto& [key, edit] : edits) EXPECT_EQ(after(edit), std::vector<std::string>{key}) << key;
  EXPECT_EQ(after([](DaemonConfig& c) {
              c.server.threads = 3;
              c.server.limits.max_body_bytes = 1;
            }),
            (std::vector<std::string>{"threads", "limits"}));
}

TEST(RestartRequired, WhatAReloadAppliesIsNotNamed) {
  EXPECT_TRUE(after([](DaemonConfig&) {}).empty());
  EXPECT_TRUE(after([](DaemonConfig& c) { c.server.listen = {"127.0.0.1:1"}; }).empty());
  EXPECT_TRUE(after([](DaemonConfig& c) { c.routes.clear(); }).empty());
  EXPECT_TRUE(after([](DaemonConfig& c) { c.breakers.emplace_back(); }).empty());
  EXPECT_TRUE(after([](DaemonConfig& c) { c.access_log.enabled = true; }).empty());
  // Socket activation's listeners are the running process's, never the file's.
  DaemonConfig running;
  running.server.inherited_listeners = {3, 4};
  EXPECT_TRUE(restart_required(running, DaemonConfig{}).empty());
}

}  // namespace
}  // namespace surge::detail
