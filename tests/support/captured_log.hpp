#pragma once
// CapturedLog: a logger whose "level message" lines a test reads back as a string.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

namespace surge::test {

/// A logger writing "level message" lines into a string.
struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  CapturedLog() { log->set_pattern("%l %v"); }
  std::string text() {
    log->flush();
    return out.str();
  }
  std::size_t lines() {
    const std::string t = text();
    return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
  }
};

}  // namespace surge::test
