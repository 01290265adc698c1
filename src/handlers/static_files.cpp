#include "handlers/static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "handlers/http_date.hpp"
#include "handlers/mime_types.hpp"
#include "http/date_cache.hpp"

namespace surge::detail {
namespace {

// O_NONBLOCK: opening a FIFO for reading blocks until a writer appears. A FIFO is never served,
// but the worker must learn that it is one without blocking; the flag is cleared again on the
// regular files that are served.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
constexpr std::uint64_t kResolveFlags = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// openat2 answers EAGAIN when a rename raced with a ".." inside a symlink's target; the man page
// says to retry. Bounded, so a hostile renamer cannot pin the worker.
constexpr int kOpenAttempts = 4;

constexpr std::string_view kNotFound = "not found\n";

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

void answer_open_error(Context& ctx, int error) {
  switch (error) {
    case EACCES:
    case EPERM:
      ctx.text(403, "forbidden\n");  // in the tree but unreadable to us (nginx does the same)
      return;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EAGAIN:
      ctx.text(503, "service unavailable\n");  // transient: worth a retry
      return;
    case ENOENT:
    case ENOTDIR:
    case ELOOP:  // a symlink the walk refuses, or a loop
    case EXDEV:  // RESOLVE_BENEATH: the path (a symlink) leads outside the root
    case ENAMETOOLONG:
    case ENXIO:   // a socket
    case ENODEV:  // a device without a driver
      ctx.text(404, kNotFound);
      return;
    default:
      ctx.text(500, "internal error\n");
  }
}

// The validators of the file being served, formatted on the stack.
class Validators final {
 public:
  explicit Validators(const struct stat& st)
      : size_(static_cast<std::uint64_t>(st.st_size)), mtime_(st.st_mtim.tv_sec) {
    // Strong: size and modification time to the nanosecond, as nginx (which has only seconds).
    // No inode: the same files deployed to several servers must carry the same tag.
    const auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                          static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
    char* p = etag_;
    *p++ = '"';
    p = std::to_chars(p, etag_ + sizeof etag_, size_, 16).ptr;
    *p++ = '-';
    p = std::to_chars(p, etag_ + sizeof etag_, mtime_ns, 16).ptr;
    *p++ = '"';
    etag_size_ = static_cast<std::size_t>(p - etag_);
    format_http_date(mtime_, last_modified_);
  }

  std::uint64_t size() const { return size_; }
  std::int64_t mtime() const { return mtime_; }
  std::string_view etag() const { return {etag_, etag_size_}; }
  std::string_view last_modified() const { return {last_modified_, sizeof last_modified_}; }

 private:
  std::uint64_t size_;
  std::int64_t mtime_;  // seconds: the resolution of HTTP dates
  char etag_[2 + 16 + 1 + 16 + 1] = {};
  std::size_t etag_size_ = 0;
  char last_modified_[29] = {};
};

enum class Comparison { kStrong, kWeak };

// RFC 9110 8.8.3.2: weak comparison ignores W/, strong comparison fails for weak tags. Tags may
// contain commas, so members are read as quoted strings, not split at commas. A malformed member
// ends the scan: what matched before it counts, nothing after it does.
bool etag_list_matches(std::string_view list, std::string_view etag, Comparison comparison) {
  std::size_t i = 0;
  while (i < list.size()) {
    const char c = list[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
      continue;
    }
    if (c == '*') return true;
    const bool weak = list.substr(i, 2) == "W/";
    if (weak) i += 2;
    if (i >= list.size() || list[i] != '"') return false;
    const std::size_t close = list.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (list.substr(i, close + 1 - i) == etag && !(weak && comparison == Comparison::kStrong)) {
      return true;
    }
    i = close + 1;
  }
  return false;
}

bool name_is(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// If-Match / If-None-Match are lists and may come as several field lines: nullopt when there is
// none, else whether any line matches.
std::optional<bool> list_field_matches(const Request& request, std::string_view name,
                                       std::string_view etag, Comparison comparison) {
  std::optional<bool> result;
  for (std::size_t i = 0; i < request.header_count(); ++i) {
    const HeaderField field = request.header_at(i);
    if (!name_is(field.name, name)) continue;
    result = result.value_or(false) || etag_list_matches(field.value, etag, comparison);
  }
  return result;
}

enum class Precondition { kProceed, kNotModified, kFailed };

// RFC 9110 13.2.2, steps 1-4, for GET and HEAD. An unparsable date is ignored (13.1.3, 13.1.4).
Precondition evaluate_preconditions(const Request& request, const Validators& v) {
  if (auto match = list_field_matches(request, "If-Match", v.etag(), Comparison::kStrong)) {
    if (!*match) return Precondition::kFailed;
  } else if (auto since = request.header("If-Unmodified-Since")) {
    auto date = parse_http_date(*since);
    if (date && v.mtime() > *date) return Precondition::kFailed;
  }
  if (auto none = list_field_matches(request, "If-None-Match", v.etag(), Comparison::kWeak)) {
    if (*none) return Precondition::kNotModified;
  } else if (auto since = request.header("If-Modified-Since")) {
    auto date = parse_http_date(*since);
    if (date && v.mtime() <= *date) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

// RFC 9110 13.1.5: an entity-tag matches by strong comparison; a date only when it is exactly the
// Last-Modified second. Anything else (a weak tag, garbage) does not match, so the whole file is
// sent, which is always a correct answer.
bool if_range_holds(std::string_view value, const Validators& v) {
  if (!value.empty() && value.front() == '"') return value == v.etag();
  auto date = parse_http_date(value);
  return date && *date == v.mtime();
}

enum class RangeKind { kWhole, kPart, kUnsatisfiable };

struct RangeAnswer {
  RangeKind kind = RangeKind::kWhole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

// A byte position: 1*DIGIT, saturating (a position past any file is simply past this one).
bool parse_position(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  out = value;
  return true;
}

// One range-spec against a file of `size` bytes (RFC 9110 14.1.1, 14.1.2). Syntactically invalid
// (no '-', non-digits, last < first) -> kWhole: an invalid Range is ignored (14.2).
RangeAnswer evaluate_range_spec(std::string_view spec, std::uint64_t size) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (first_text.empty()) {
    if (!parse_position(last_text, last)) return {};
    if (last == 0) return {RangeKind::kUnsatisfiable};
    // A non-zero suffix is satisfiable even against an empty file (14.1.2), but Content-Range
    // cannot spell an empty part: send the (empty) whole, as 14.2 allows.
    if (size == 0) return {};
    return {RangeKind::kPart, size - std::min(last, size), size - 1};
  }
  if (!parse_position(first_text, first)) return {};
  if (last_text.empty()) {
    last = std::numeric_limits<std::uint64_t>::max();
  } else if (!parse_position(last_text, last) || last < first) {
    return {};
  }
  if (first >= size) return {RangeKind::kUnsatisfiable};  // 15.5.17; includes any on an empty file
  return {RangeKind::kPart, first, std::min(last, size - 1)};
}

std::string_view trim_ows(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") + 1 - first);
}

// "bytes=" and exactly one range-spec (empty list members are allowed, RFC 9110 5.6.1). Several
// ranges are answered with the whole file: no multipart/byteranges, which nobody needs from a
// static file server and which is the classic amplification vector (CVE-2011-3192).
RangeAnswer evaluate_range(std::string_view value, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (value.size() < kUnit.size() || !name_is(value.substr(0, kUnit.size()), kUnit)) return {};
  value.remove_prefix(kUnit.size());
  std::string_view spec;
  int count = 0;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view member = trim_ows(value.substr(0, comma));
    if (!member.empty()) {
      spec = member;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return count == 1 ? evaluate_range_spec(spec, size) : RangeAnswer{};
}

// Range applies to GET only (RFC 9110 14.2: HEAD ignores it), after the preconditions.
RangeAnswer select_range(const Request& request, const Validators& v) {
  if (request.method() != Method::kGet) return {};
  auto range = request.header("Range");
  if (!range) return {};
  if (auto if_range = request.header("If-Range"); if_range && !if_range_holds(*if_range, v)) {
    return {};
  }
  return evaluate_range(*range, v.size());
}

// "Content-Range: bytes first-last/size", or "bytes */size" when unsatisfiable.
void add_content_range(Response& response, const RangeAnswer& range, std::uint64_t size) {
  char text[6 + 20 + 1 + 20 + 1 + 20];
  char* const end = text + sizeof text;
  constexpr std::string_view kUnit = "bytes ";
  char* p = std::copy(kUnit.begin(), kUnit.end(), text);
  if (range.kind == RangeKind::kPart) {
    p = std::to_chars(p, end, range.first).ptr;
    *p++ = '-';
    p = std::to_chars(p, end, range.last).ptr;
  } else {
    *p++ = '*';
  }
  *p++ = '/';
  p = std::to_chars(p, end, size).ptr;
  response.add_header("Content-Range", {text, static_cast<std::size_t>(p - text)});
}

void add_validators(Response& response, const Validators& v, std::string_view cache_control) {
  response.add_header("ETag", v.etag());
  response.add_header("Last-Modified", v.last_modified());
  if (!cache_control.empty()) response.add_header("Cache-Control", cache_control);
}

// Sends the regular file fd (ownership passes to the response, or it is closed here).
void send_file(Context& ctx, int fd, const struct stat& st, std::string_view content_type,
               std::string_view cache_control) {
  const Validators v(st);
  Response& response = ctx.response();
  switch (evaluate_preconditions(ctx.request(), v)) {
    case Precondition::kFailed:
      ::close(fd);
      ctx.text(412, "precondition failed\n");
      return;
    case Precondition::kNotModified:
      ::close(fd);
      response.set_status(304);  // RFC 9110 15.4.5: the validators and Cache-Control, no body
      add_validators(response, v, cache_control);
      return;
    case Precondition::kProceed:
      break;
  }
  const RangeAnswer range = select_range(ctx.request(), v);
  if (range.kind == RangeKind::kUnsatisfiable) {
    ::close(fd);
    ctx.text(416, "range not satisfiable\n");
    add_content_range(response, range, v.size());  // RFC 9110 15.5.17: "bytes */size"
    return;
  }
  response.set_status(range.kind == RangeKind::kPart ? 206 : 200);
  if (range.kind == RangeKind::kPart) add_content_range(response, range, v.size());
  response.set_content_type(content_type);
  add_validators(response, v, cache_control);
  response.add_header("Accept-Ranges", "bytes");
  const bool part = range.kind == RangeKind::kPart;
  response.set_file_body(fd, part ? range.first : 0,
                         part ? range.last - range.first + 1 : v.size());
}

// "dir" names a directory: send the client to "dir/" (as nginx, 301), so that relative links in
// its index resolve below it. The Location is the request's own (still encoded) path, plus the
// query.
void redirect_to_directory(Context& ctx) {
  const std::string_view path = ctx.request().path();
  const std::string_view query = ctx.request().query();
  // "//host/..." would be read as another host: never build an open redirect.
  if (path.size() >= 2 && path[0] == '/' && path[1] == '/') {
    ctx.text(404, kNotFound);
    return;
  }
  const std::size_t size = path.size() + 1 + (query.empty() ? 0 : 1 + query.size());
  auto* location = static_cast<char*>(ctx.allocate(size));
  char* p = location;
  std::memcpy(p, path.data(), path.size());
  p += path.size();
  *p++ = '/';
  if (!query.empty()) {
    *p++ = '?';
    std::memcpy(p, query.data(), query.size());
  }
  ctx.text(301, "moved permanently\n");
  ctx.response().add_header("Location", {location, size});
}

enum class FileKind { kRegular, kDirectory, kOther };

// fstat plus the type policy: only regular files are served; FIFOs, sockets and devices are 404.
// The regular file's descriptor gets O_NONBLOCK cleared (see kOpenFlags) before it is handed to
// code that may not expect it. Returns -errno on failure.
int classify(int fd, struct stat& st, FileKind& kind) {
  if (::fstat(fd, &st) != 0) return -errno;
  kind = S_ISREG(st.st_mode)   ? FileKind::kRegular
         : S_ISDIR(st.st_mode) ? FileKind::kDirectory
                               : FileKind::kOther;
  if (kind == FileKind::kRegular && ::fcntl(fd, F_SETFL, 0) != 0) return -errno;
  return 0;
}

}  // namespace

StaticFiles::StaticFiles(StaticFilesConfig config, PathResolution resolution)
    : config_(std::move(config)), resolution_(resolution) {
  const std::string_view index = config_.index;
  if (index.find('/') != std::string_view::npos || index.find('\0') != std::string_view::npos ||
      index == "." || index == "..") {
    throw std::invalid_argument("static files index '" + config_.index +
                                "' must be a plain file name (no '/')");
  }
  int error = EINVAL;  // a NUL inside the name
  if (config_.root.find('\0') == std::string::npos) {
    root_fd_ = ::open(config_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    error = errno;
  }
  if (root_fd_ < 0) {
    throw std::invalid_argument("static files root '" + config_.root +
                                "' is not an openable directory: " + std::strerror(error));
  }
  const bool kernel_has_openat2 = has_openat2(root_fd_);
  if (resolution_ == PathResolution::kAuto) {
    resolution_ = kernel_has_openat2 ? PathResolution::kOpenat2 : PathResolution::kWalk;
  } else if (resolution_ == PathResolution::kOpenat2 && !kernel_has_openat2) {
    ::close(root_fd_);
    throw std::invalid_argument("static files root '" + config_.root +
                                "': openat2(2) is not available on this system");
  }
  if (config_.max_age.count() > 0) {
    cache_control_ = "max-age=" + std::to_string(config_.max_age.count());
  }
}

StaticFiles::~StaticFiles() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

StaticFiles::StaticFiles(StaticFiles&& other) noexcept
    : config_(std::move(other.config_)),
      resolution_(other.resolution_),
      cache_control_(std::move(other.cache_control_)),
      root_fd_(std::exchange(other.root_fd_, -1)) {}

StaticFiles& StaticFiles::operator=(StaticFiles&& other) noexcept {
  if (this != &other) {
    if (root_fd_ >= 0) ::close(root_fd_);
    config_ = std::move(other.config_);
    resolution_ = other.resolution_;
    cache_control_ = std::move(other.cache_control_);
    root_fd_ = std::exchange(other.root_fd_, -1);
  }
  return *this;
}

int StaticFiles::open_file(char* path) const {
  return resolution_ == PathResolution::kWalk ? open_by_walk(root_fd_, path)
                                              : open_with_openat2(root_fd_, path);
}

void StaticFiles::serve(Context& ctx, std::string_view relative_path) const {
  const Method method = ctx.request().method();
  if (method != Method::kGet && method != Method::kHead) {
    ctx.text(405, "method not allowed\n");
    ctx.response().add_header("Allow", "GET, HEAD");
    return;
  }
  // "" and "dir/" ask for a directory: its index, or 404 when there is no index. A directory
  // named without the slash is redirected below, once the file system has said it is one.
  const bool directory_request = relative_path.empty() || relative_path.back() == '/';
  const std::string_view index = directory_request ? std::string_view(config_.index) : "";
  char path[PATH_MAX];
  if (!is_acceptable(relative_path) || (directory_request && index.empty()) ||
      !make_path(relative_path, index, path)) {
    ctx.text(404, kNotFound);
    return;
  }
  const int fd = open_file(path);
  if (fd < 0) {
    answer_open_error(ctx, -fd);
    return;
  }
  struct stat st {};
  FileKind kind = FileKind::kOther;
  if (const int error = classify(fd, st, kind); error != 0) {
    ::close(fd);
    answer_open_error(ctx, -error);
    return;
  }
  if (kind == FileKind::kRegular) {
    send_file(ctx, fd, st, mime_type_for(directory_request ? index : relative_path),
              cache_control_);
    return;
  }
  ::close(fd);
  if (kind == FileKind::kDirectory && !directory_request && !config_.index.empty()) {
    redirect_to_directory(ctx);
  } else {
    ctx.text(404, kNotFound);
  }
}

}  // namespace surge::detail
