#include "handlers/static_files.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "handlers/conditional_get.hpp"
#include "handlers/file_coding.hpp"
#include "handlers/mime_types.hpp"
#include "http/exchange.hpp"
#include "http/grammar.hpp"

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

// The validators of what is answered: the file itself, its precompressed sibling, or a coded
// copy of the file.
struct Representation {
  std::string_view etag;        // the ETag field
  std::string_view match_etag;  // what If-Match and If-None-Match are compared with
  std::string_view last_modified;
  std::int64_t mtime;  // seconds, for If-Modified-Since and If-Unmodified-Since
};

Validators validators_of(const struct stat& st) {
  return Validators(static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                    static_cast<std::uint32_t>(st.st_mtim.tv_nsec));
}

Representation representation_of(const Validators& v) {
  return {v.etag(), v.etag(), v.last_modified(), v.mtime()};
}

void add_validators(Response& response, const Representation& r, std::string_view cache_control) {
  response.add_header("ETag", r.etag);
  response.add_header("Last-Modified", r.last_modified);
  if (!cache_control.empty()) response.add_header("Cache-Control", cache_control);
}

// RFC 9110 13.2.2 steps 1-4 against r. Answers 412, or 304 with the validators and
// Cache-Control (15.4.5), closing fd, and returns false; true: the caller answers.
bool preconditions_pass(Context& ctx, int fd, const Representation& r,
                        std::string_view cache_control) {
  switch (evaluate_preconditions(read_preconditions(ctx.request(), r.match_etag), r.mtime)) {
    case Precondition::kFailed:
      ::close(fd);
      ctx.text(412, "precondition failed\n");
      return false;
    case Precondition::kNotModified:
      ::close(fd);
      ctx.response().set_status(304);
      add_validators(ctx.response(), r, cache_control);
      return false;
    case Precondition::kProceed:
      break;
  }
  return true;
}

// Sends the regular file fd as it is (ownership passes to the response, or it is closed here).
void send_file(Context& ctx, int fd, const struct stat& st, std::string_view content_type,
               std::string_view cache_control) {
  const Validators v = validators_of(st);
  if (!preconditions_pass(ctx, fd, representation_of(v), cache_control)) return;
  const Request& request = ctx.request();
  Response& response = ctx.response();
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
  add_validators(response, representation_of(v), cache_control);
  response.add_header("Accept-Ranges", "bytes");
  response.set_file_body(fd, part ? range.first : 0,
                         part ? range.last - range.first + 1 : v.size());
}

// The head of a coded 200. No Accept-Ranges: ranges are cut from the identity bytes only.
void start_coded_answer(Response& response, ContentCoding coding, std::string_view content_type,
                        const Representation& r, std::string_view cache_control) {
  response.set_status(200);
  response.set_content_type(content_type);
  response.add_header("Content-Encoding", coding_name(coding));
  add_validators(response, r, cache_control);
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

std::optional<CompressionPolicy> make_policy(const std::optional<CompressionConfig>& config) {
  if (!config || !config->enabled) return std::nullopt;
  try {
    return CompressionPolicy(*config);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("static files compression: ") + e.what());
  }
}

std::array<std::string, kCodingCount> index_siblings(const std::string& index) {
  std::array<std::string, kCodingCount> names;
  if (index.empty()) return names;
  for (std::size_t i = 0; i < kCodingCount; ++i) {
    names[i] = index + std::string(sibling_suffix(static_cast<ContentCoding>(i)));
  }
  return names;
}

}  // namespace

StaticFiles::StaticFiles(StaticFilesConfig config, PathResolution resolution)
    : config_(with_checked_index(std::move(config))),
      root_(open_root(config_.root, resolution)),
      cache_control_(config_.max_age.count() > 0
                         ? "max-age=" + std::to_string(config_.max_age.count())
                         : std::string()),
      policy_(make_policy(config_.compression)),
      index_siblings_(index_siblings(config_.index)) {
  const std::size_t workers = std::max<std::size_t>(config_.workers, 1);
  const std::uint64_t share = policy_ ? policy_->file_cache_bytes() / workers : 0;
  if (share == 0) return;
  caches_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i)
    caches_.push_back(WorkerCache{FileVariantCache(share)});
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
    const std::string_view type = mime_type_for(directory_request ? index : relative_path);
    if (policy_ && policy_->compresses_type(type)) {
      serve_compressible(ctx, fd, st, type, {relative_path, index});
    } else {
      send_file(ctx, fd, st, type, cache_control_);
    }
    return;
  }
  ::close(fd);
  if (kind == FileKind::kDirectory && !directory_request && !config_.index.empty()) {
    redirect_to_directory(ctx);
  } else {
    ctx.text(404, kNotFound);
  }
}

void StaticFiles::serve_compressible(Context& ctx, int fd, const struct stat& st,
                                     std::string_view content_type, FileName file) const {
  // Whatever this request gets, another Accept-Encoding might have got another answer (RFC 9110
  // 12.5.5), and a 304 carries the Vary its 200 would (15.4.5). The engine must add no second
  // Vary and encode nothing: the coding is settled here.
  ctx.response().add_header("Vary", "Accept-Encoding");
  exchange_of(ctx).response().mark_encoding_decided();
  const FileCodingRequest wants = read_file_coding_request(ctx.request());
  if (!wants.identity_only) {
    const CodingRanking ranking = rank_codings(wants.accept, policy_->offer());
    if (ranking.count > 0) {
      if (policy_->precompressed() && send_precompressed(ctx, fd, ranking, content_type, file)) {
        return;
      }
      if (send_cached(ctx, fd, st, ranking.order[0], content_type, file)) return;
    }
  }
  send_file(ctx, fd, st, content_type, cache_control_);
}

// A sibling that cannot be opened (missing, unreadable, leading out of the root) or is not a
// regular file is as good as absent: -1.
int StaticFiles::open_sibling(FileName file, ContentCoding coding, struct stat& st) const {
  const auto opened =
      file.name.empty() ? root_.open(file.path, sibling_suffix(coding))
                        : root_.open(file.path, index_siblings_[static_cast<std::size_t>(coding)]);
  if (!opened) return -1;
  FileKind kind = FileKind::kOther;
  if (classify(*opened, st, kind) != 0 || kind != FileKind::kRegular) {
    ::close(*opened);
    return -1;
  }
  return *opened;
}

// The first sibling found, in the client's order, answers (fd is closed then); false: none.
bool StaticFiles::send_precompressed(Context& ctx, int fd, const CodingRanking& ranking,
                                     std::string_view content_type, FileName file) const {
  for (std::uint8_t i = 0; i < ranking.count; ++i) {
    const ContentCoding coding = ranking.order[i];
    struct stat st {};
    const int sibling = open_sibling(file, coding, st);
    if (sibling < 0) continue;
    ::close(fd);
    const Validators v = validators_of(st);
    const DerivedEtag etag = DerivedEtag::of_sibling(v.etag(), coding);
    const Representation r{etag.value(), etag.value(), v.last_modified(), v.mtime()};
    if (preconditions_pass(ctx, sibling, r, cache_control_)) {
      start_coded_answer(ctx.response(), coding, content_type, r, cache_control_);
      ctx.response().set_file_body(sibling, 0, v.size());
    }
    return true;
  }
  return false;
}

// The file in `coding` from this worker's cache (compressed on a miss). The preconditions are
// the identity's: the copy is the same content, and its weak tag matches If-None-Match alike.
// false, fd still open: not cached here, or the copy could not be made.
bool StaticFiles::send_cached(Context& ctx, int fd, const struct stat& st, ContentCoding coding,
                              std::string_view content_type, FileName file) const {
  const std::size_t worker = ctx.worker();
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char path[PATH_MAX];
  const std::size_t path_size = file.path.size() + file.name.size();
  if (worker >= caches_.size() || !policy_->compresses_length(size) || path_size > sizeof path) {
    return false;
  }
  std::memcpy(path, file.path.data(), file.path.size());
  std::memcpy(path + file.path.size(), file.name.data(), file.name.size());
  const Validators v = validators_of(st);
  const DerivedEtag etag = DerivedEtag::weak(v.etag());
  const Representation r{etag.value(), v.etag(), v.last_modified(), v.mtime()};
  if (!preconditions_pass(ctx, fd, r, cache_control_)) return true;
  const FileVariantKey key{.path = {path, path_size},
                           .size = size,
                           .mtime_seconds = st.st_mtim.tv_sec,
                           .mtime_nanoseconds = static_cast<std::uint32_t>(st.st_mtim.tv_nsec),
                           .coding = coding};
  std::string scratch;
  const std::string* bytes =
      coded_copy(caches_[worker].cache, key, policy_->levels().of(coding), fd, scratch);
  if (bytes == nullptr) return false;
  ::close(fd);
  start_coded_answer(ctx.response(), coding, content_type, r, cache_control_);
  ctx.response().set_body(*bytes);
  return true;
}

}  // namespace surge::detail
