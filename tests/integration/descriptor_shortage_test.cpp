// Running out of file descriptors: accepting pauses and resumes. Its own binary, because it fills
// the descriptor table of the whole process.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// Fills the process's descriptor table (its soft RLIMIT_NOFILE lowered for the test) up to one
// free descriptor; undoes both when it goes.
class DescriptorShortage {
 public:
  DescriptorShortage() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest) + 16;
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers_.push_back(fd);
    free_one();
  }
  ~DescriptorShortage() {
    for (int fd : fillers_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  void free_one() {
    ::close(fillers_.back());
    fillers_.pop_back();
  }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

// Out of descriptors, accepting pauses instead of failing, spinning or crashing: the connections
// already open are served, and the one waiting in the listen queue is served once a descriptor
// is free again.
TEST(DescriptorShortage, RunningOutOfDescriptorsPausesAcceptingAndServesTheWaitingConnectionLater) {
#if defined(SURGE_SANITIZED_BUILD)
  // While the table is full, UBSan cannot check a dynamic type it has not cached: its memory
  // probe needs a pipe, gets EMFILE, and it reports an "invalid vptr" that no suppression can
  // match (the type is unknown). The Debug build runs this test; the sanitizers cannot.
  GTEST_SKIP() << "UBSan's vptr check needs free descriptors; run in the Debug build";
#endif
  TestServer server;
  RawClient open_before(server.port());
  ASSERT_TRUE(open_before.send(get("/plaintext")));
  ASSERT_TRUE(open_before.read_response());
  std::optional<HttpResponse> waiting_response;
  {
    DescriptorShortage shortage;
    RawClient waiting(server.port());  // the last free descriptor: the server's accept4 gets EMFILE
    ASSERT_TRUE(waiting.send(get("/plaintext")));
    ASSERT_FALSE(waiting.read_response(std::chrono::milliseconds(300))) << "accepted without a descriptor?";
    ASSERT_TRUE(open_before.send(get("/plaintext")));
    auto served = open_before.read_response();
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200);
    shortage.free_one();
    waiting_response = waiting.read_response();
  }
  ASSERT_TRUE(waiting_response);
  EXPECT_EQ(waiting_response->status, 200);
}

}  // namespace
}  // namespace surge::test
