#include "metrics/reopenable_file_sink.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "support/daemon_process.hpp"

namespace surge::detail {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

struct FileLog {
  explicit FileLog(const std::string& path)
      : sink(std::make_shared<ReopenableFileSink>(path)),
        log(std::make_shared<spdlog::logger>("x", sink)) {
    log->set_pattern("[%l] %v");  // ignored: the message is the line
  }
  std::shared_ptr<ReopenableFileSink> sink;
  std::shared_ptr<spdlog::logger> log;
};

TEST(AccessLogFileSink, AppendsEachMessageAsOneLineWithoutDecoration) {
  test::TempDir dir;
  const std::string path = dir.write("access.log", "existing\n");
  {
    FileLog file(path);
    file.log->info("first");
    file.log->info("second");
    file.log->flush();
    EXPECT_EQ(read_lines(path), (std::vector<std::string>{"existing", "first", "second"}));
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0600, 0600u);
}

TEST(AccessLogFileSink, ReopenSwitchesToANewFileAtThePath) {
  test::TempDir dir;
  const std::string path = dir.path() + "/access.log";
  FileLog file(path);
  file.log->info("old 1");
  file.log->info("old 2");
  std::filesystem::rename(path, path + ".1");
  file.log->info("old 3");  // still the open file, now named access.log.1
  ASSERT_FALSE(file.sink->reopen());
  file.log->info("new 1");
  file.log->flush();
  EXPECT_EQ(read_lines(path + ".1"), (std::vector<std::string>{"old 1", "old 2", "old 3"}));
  EXPECT_EQ(read_lines(path), (std::vector<std::string>{"new 1"}));
}

TEST(AccessLogFileSink, AFailedReopenKeepsTheOldFile) {
  test::TempDir dir;
  const std::string logs = dir.path() + "/logs";
  std::filesystem::create_directory(logs);
  FileLog file(logs + "/access.log");
  file.log->info("before");
  std::filesystem::rename(logs, dir.path() + "/moved");
  EXPECT_EQ(file.sink->reopen(), boost::system::errc::no_such_file_or_directory);
  file.log->info("after");
  file.log->flush();
  EXPECT_EQ(read_lines(dir.path() + "/moved/access.log"),
            (std::vector<std::string>{"before", "after"}));
}

TEST(AccessLogFileSink, AFileThatCannotBeOpenedThrows) {
  EXPECT_THROW(ReopenableFileSink("/nonexistent-directory/access.log"), std::system_error);
}

// Reopening while another thread writes (the async logger's thread against the signal thread)
// loses and tears no line. Run it under ThreadSanitizer or ASan to see the locking.
TEST(AccessLogFileSink, ReopeningWhileWritingLosesNoLine) {
  test::TempDir dir;
  const std::string path = dir.path() + "/access.log";
  FileLog file(path);
  constexpr int kLines = 20000;
  constexpr int kRotations = 20;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kLines; ++i)
      file.log->info("line {:05} {}", i, std::string(100, 'x'));
    done = true;
  });
  int rotations = 0;
  while (!done && rotations < kRotations) {
    std::filesystem::rename(path, path + "." + std::to_string(++rotations));
    ASSERT_FALSE(file.sink->reopen());
    std::this_thread::yield();
  }
  writer.join();
  file.log->flush();
  std::vector<std::string> all = read_lines(path);
  for (int r = 1; r <= rotations; ++r) {
    for (std::string& line : read_lines(path + "." + std::to_string(r)))
      all.push_back(std::move(line));
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kLines));
  std::vector<bool> seen(kLines);
  for (const std::string& line : all) {
    ASSERT_EQ(line.size(), 111u) << line;
    const int i = std::stoi(line.substr(5, 5));
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
  }
}

}  // namespace
}  // namespace surge::detail
