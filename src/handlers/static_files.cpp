#include "handlers/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "handlers/conditional_get.hpp"
#include "http/grammar.hpp"
#include "handlers/mime_types.hpp"

namespace surge::detail {
namespace {

constexpr std::string_view kNotFound = "not found\n";

StaticFilesConfig with_checked_index(StaticFilesConfig config) {
  if (!config.index.empty() && !BeneathRoot::is_file_name(config.index)) {
    throw std::invalid_argument("static files index '" + config.index +
                                "' must be a plain file name (no '/')");
  }
  return config;
}

// BeneathRoot's messages begin "root '...'": they are completed with whose root it is.
BeneathRoot open_root(const std::string& root, PathResolution resolution) {
  try {
    return BeneathRoot(root, resolution);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("static files ") + e.what());
  }
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
    case ENOENT:  // also a path BeneathRoot refused by its text
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

// The field lines of If-Match or If-None-Match form one list (RFC 9110 5.3), and Request hands
// them out one at a time: each is matched here, and conditional_get decides what the verdicts mean.
PreconditionFields read_preconditions(const Request& request, std::string_view etag) {
  PreconditionFields fields;
  for (std::size_t i = 0; i < request.header_count(); ++i) {
    const HeaderField field = request.header_at(i);
    if (iequals(field.name, "If-Match")) {
      fields.if_match = fields.if_match.value_or(false) || if_match_line_matches(field.value, etag);
    } else if (iequals(field.name, "If-None-Match")) {
      fields.if_none_match =
          fields.if_none_match.value_or(false) || if_none_match_line_matches(field.value, etag);
    }
  }
  fields.if_unmodified_since = request.header("If-Unmodified-Since");
  fields.if_modified_since = request.header("If-Modified-Since");
  return fields;
}

void add_validators(Response& response, const Validators& v, std::string_view cache_control) {
  response.add_header("ETag", v.etag());
  response.add_header("Last-Modified", v.last_modified());
  if (!cache_control.empty()) response.add_header("Cache-Control", cache_control);
}

// Sends the regular file fd (ownership passes to the response, or it is closed here).
void send_file(Context& ctx, int fd, const struct stat& st, std::string_view content_type,
               std::string_view cache_control) {
  const Validators v(static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                     static_cast<std::uint32_t>(st.st_mtim.tv_nsec));
  const Request& request = ctx.request();
  Response& response = ctx.response();
  switch (evaluate_preconditions(read_preconditions(request, v.etag()), v.mtime())) {
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
  // After the preconditions, and for GET only: HEAD ignores Range (RFC 9110 14.2).
  const RangeAnswer range =
      request.method() == Method::kGet
          ? select_range(request.header("Range"), request.header("If-Range"), v)
          : RangeAnswer{};
  if (range.kind == RangeKind::kUnsatisfiable) {
    ::close(fd);
    ctx.text(416, "range not satisfiable\n");
    response.add_header("Content-Range", ContentRange(range, v.size()).value());
    return;
  }
  const bool part = range.kind == RangeKind::kPart;
  response.set_status(part ? 206 : 200);
  if (part) response.add_header("Content-Range", ContentRange(range, v.size()).value());
  response.set_content_type(content_type);
  add_validators(response, v, cache_control);
  response.add_header("Accept-Ranges", "bytes");
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
// The regular file's descriptor gets O_NONBLOCK cleared (BeneathRoot::open sets it) before it is
// handed to code that may not expect it. Returns -errno on failure.
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
    : config_(with_checked_index(std::move(config))),
      root_(open_root(config_.root, resolution)),
      cache_control_(config_.max_age.count() > 0
                         ? "max-age=" + std::to_string(config_.max_age.count())
                         : std::string()) {}

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
  if (directory_request && index.empty()) {
    ctx.text(404, kNotFound);
    return;
  }
  const auto opened = root_.open(relative_path, index);
  if (!opened) {
    answer_open_error(ctx, static_cast<int>(opened.error()));
    return;
  }
  const int fd = *opened;
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
