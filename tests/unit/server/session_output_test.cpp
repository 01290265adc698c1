#include "server/session_output.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include <boost/asio/io_context.hpp>

namespace surge::detail {
namespace {

struct Ignore final : PollTarget {
  void on_events(std::uint32_t) override {}
};

class SessionOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    ASSERT_FALSE(socket_.open(fds[0], poller_, owner_));
    peer_ = fds[1];
  }
  void TearDown() override { ::close(peer_); }
  std::string drain() {
    std::string got;
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(peer_, buffer, sizeof(buffer), MSG_DONTWAIT)) > 0) got.append(buffer, static_cast<std::size_t>(n));
    return got;
  }

  boost::asio::io_context io_;
  EventPoller poller_{io_};
  Ignore owner_;
  Socket socket_;
  int peer_ = -1;
  SlabPool pool_{4096, 16};
};

TEST_F(SessionOutputTest, SendsTheBytesThenTheFileAndGivesTheBufferBack) {
  SessionOutput out(&pool_);
  out.buffer().append("head|");
  char path[] = "/tmp/surge-output-test-XXXXXX";
  const int file = ::mkstemp(path);
  ::unlink(path);
  ASSERT_EQ(::write(file, "0123456789", 10), 10);
  out.set_file({file, 2, 5});
  bool progress = false;
  EXPECT_EQ(out.flush(socket_, progress), SessionOutput::Flushed::kAll);
  EXPECT_TRUE(progress);
  EXPECT_FALSE(out.pending());
  EXPECT_FALSE(out.buffer().has_storage());
  EXPECT_EQ(out.take_sent(), 10u);
  EXPECT_EQ(drain(), "head|23456");
}

TEST_F(SessionOutputTest, StopsWhenTheSocketIsFullAndGoesOnLater) {
  SessionOutput out(&pool_);
  const std::string big(4 << 20, 'x');
  out.buffer().append(big);
  bool progress = false;
  EXPECT_EQ(out.flush(socket_, progress), SessionOutput::Flushed::kBlocked);
  EXPECT_TRUE(out.pending());
  std::string got = drain();
  while (out.pending()) {
    progress = false;
    const auto result = out.flush(socket_, progress);
    EXPECT_NE(result, SessionOutput::Flushed::kError);
    got += drain();
  }
  got += drain();
  EXPECT_EQ(got.size(), big.size());
}

TEST_F(SessionOutputTest, SaysWhenTheFileIsShorterThanAnnouncedOrThePeerIsGone) {
  SessionOutput out(&pool_);
  char path[] = "/tmp/surge-output-test-XXXXXX";
  const int file = ::mkstemp(path);
  ::unlink(path);
  ASSERT_EQ(::write(file, "abc", 3), 3);
  out.set_file({file, 0, 10});
  bool progress = false;
  EXPECT_EQ(out.flush(socket_, progress), SessionOutput::Flushed::kFileShort);
  out.discard();
  ::close(peer_);
  peer_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  out.buffer().append("late");
  EXPECT_EQ(out.flush(socket_, progress), SessionOutput::Flushed::kPeerGone);
}

}  // namespace
}  // namespace surge::detail
