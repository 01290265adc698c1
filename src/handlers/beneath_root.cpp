#include "handlers/beneath_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace surge::detail {
namespace {

// O_NONBLOCK: see open() in the header.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr std::uint64_t kResolveFlags = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// openat2 answers EAGAIN when a rename raced with a ".." inside a symlink's target; the man page
// says to retry. Bounded, so a hostile renamer cannot pin the worker.
constexpr int kOpenAttempts = 4;

// Lexical refusal before any system call. The router percent-decodes the parameter, so "%2e%2e"
// arrives here as ".." and "%2f" as '/': this one check covers every spelling, and openat2 (or the
// O_NOFOLLOW walk) is the second line, for what only the file system knows (symlinks).
// Backslashes are legal in Linux names but refused: a proxy or client in front of us may have
// treated them as separators and vetted a different path than the one we would open.
bool is_acceptable(std::string_view path) {
  if (!path.empty() && path.front() == '/') return false;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return false;
  }
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    if (path.substr(0, slash) == "..") return false;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

// `a` then `b` as a NUL-terminated path in out ("." when both are empty); false when too long.
bool make_path(std::string_view a, std::string_view b, char (&out)[PATH_MAX]) {
  if (a.empty() && b.empty()) a = ".";
  if (a.size() + b.size() >= sizeof out) return false;
  if (!a.empty()) std::memcpy(out, a.data(), a.size());
  if (!b.empty()) std::memcpy(out + a.size(), b.data(), b.size());
  out[a.size() + b.size()] = '\0';
  return true;
}

long raw_openat2(int dir_fd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags);
  how.resolve = kResolveFlags;
  return ::syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
}

int open_with_openat2(int root_fd, const char* path) {
  for (int attempt = 1;; ++attempt) {
    const long fd = raw_openat2(root_fd, path, kOpenFlags);
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno != EAGAIN && errno != EINTR) || attempt == kOpenAttempts) return -errno;
  }
}

// Opens name in dir_fd without following a symlink; closes dir_fd unless it is the root.
int open_step(int root_fd, int dir_fd, const char* name, int flags) {
  int fd;
  do {
    fd = ::openat(dir_fd, name, flags | O_NOFOLLOW);
  } while (fd < 0 && errno == EINTR);
  const int error = errno;
  if (dir_fd != root_fd) ::close(dir_fd);
  return fd >= 0 ? fd : -error;
}

// Without openat2 (kernel < 5.6, or a seccomp filter that does not know it): one component at a
// time, each with O_NOFOLLOW, so a symlink anywhere on the path fails (ELOOP for the last
// component, ENOTDIR for a directory). Following in-root symlinks here would mean re-implementing
// path resolution with its races; refusing every symlink is the safe subset. The walk relies on
// is_acceptable() having refused "..": openat(dir, "..") would climb out of the root. "." and
// empty components are skipped, and a component followed by '/' must be a directory, as the
// kernel would require. Writes NULs into path.
int open_by_walk(int root_fd, char* path) {
  int dir_fd = root_fd;
  const char* pending = nullptr;  // the last component seen, not opened yet
  bool pending_is_directory = false;
  for (char* name = path;;) {
    char* slash = std::strchr(name, '/');
    if (slash != nullptr) *slash = '\0';
    if (name[0] != '\0' && std::strcmp(name, ".") != 0) {
      if (pending != nullptr) {
        dir_fd = open_step(root_fd, dir_fd, pending, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) return dir_fd;
      }
      pending = name;
      pending_is_directory = false;
    }
    if (slash == nullptr) break;
    pending_is_directory = true;
    name = slash + 1;
  }
  const int flags = kOpenFlags | (pending_is_directory ? O_DIRECTORY : 0);
  return open_step(root_fd, dir_fd, pending != nullptr ? pending : ".", flags);
}

// Chosen once at construction: a kernel without openat2 answers ENOSYS, a seccomp filter that
// predates it usually EPERM.
bool has_openat2(int root_fd) {
  const long fd = raw_openat2(root_fd, ".", O_PATH | O_CLOEXEC);
  if (fd >= 0) ::close(static_cast<int>(fd));
  return fd >= 0 || (errno != ENOSYS && errno != EPERM);
}

}  // namespace

BeneathRoot::BeneathRoot(const std::string& root, PathResolution resolution)
    : resolution_(resolution) {
  int error = EINVAL;  // a NUL inside the name
  if (root.find('\0') == std::string::npos) {
    root_fd_ = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    error = errno;
  }
  if (root_fd_ < 0) {
    throw std::invalid_argument("root '" + root +
                                "' is not an openable directory: " + std::strerror(error));
  }
  const bool kernel_has_openat2 = has_openat2(root_fd_);
  if (resolution_ == PathResolution::kAuto) {
    resolution_ = kernel_has_openat2 ? PathResolution::kOpenat2 : PathResolution::kWalk;
  } else if (resolution_ == PathResolution::kOpenat2 && !kernel_has_openat2) {
    ::close(root_fd_);
    throw std::invalid_argument("root '" + root + "': openat2(2) is not available on this system");
  }
}

BeneathRoot::~BeneathRoot() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

BeneathRoot::BeneathRoot(BeneathRoot&& other) noexcept
    : root_fd_(std::exchange(other.root_fd_, -1)), resolution_(other.resolution_) {}

BeneathRoot& BeneathRoot::operator=(BeneathRoot&& other) noexcept {
  if (this != &other) {
    if (root_fd_ >= 0) ::close(root_fd_);
    root_fd_ = std::exchange(other.root_fd_, -1);
    resolution_ = other.resolution_;
  }
  return *this;
}

bool BeneathRoot::is_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

// std::errc rather than boost::system::error_code: building an error_code reads its category, a
// polymorphic object, and UBSan proves the first such read safe by copying the vtable through a
// pipe(2), which fails when the process is out of descriptors, EMFILE being one answer this must
// give (OutOfDescriptorsIs503 under SURGE_SANITIZE).
boost::system::result<int, std::errc> BeneathRoot::open(std::string_view path,
                                                        std::string_view name) const {
  if (!is_acceptable(path) || (!name.empty() && !is_file_name(name))) {
    return std::errc::no_such_file_or_directory;
  }
  char buffer[PATH_MAX];
  if (!make_path(path, name, buffer)) return std::errc::filename_too_long;
  const int fd = resolution_ == PathResolution::kWalk ? open_by_walk(root_fd_, buffer)
                                                      : open_with_openat2(root_fd_, buffer);
  if (fd < 0) return static_cast<std::errc>(-fd);
  return fd;
}

}  // namespace surge::detail
