#pragma once
// BeneathRoot: opens files named by untrusted relative paths without ever leaving a directory.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/result.hpp>

namespace surge::detail {

/// How file names are resolved beneath the root.
enum class PathResolution : std::uint8_t {
  kAuto,     // openat2 if the kernel has it (probed once at construction), else kWalk
  kOpenat2,  // openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): in-root symlinks are followed
  kWalk,     // one openat(O_NOFOLLOW) per component: every symlink is refused (ELOOP/ENOTDIR)
};

/// A root directory, held open, and the only way to open what is below it. Two lines of defence:
/// the text of the path is checked before any system call (no leading '/', no ".." component, no
/// NUL, no '\', at most PATH_MAX - 1 bytes), then the kernel resolves it beneath the root
/// descriptor (openat2), or one O_NOFOLLOW component at a time (the walk) where openat2 is
/// missing. Either way no path, however spelled and whatever symlinks the tree holds, opens a
/// file outside the root.
///
/// Thread-safety: open() is const and shares only the root descriptor: any number of threads may
/// call it at once. Not copyable (it owns the descriptor); movable (a moved-from instance may only
/// be assigned to or destroyed).
class BeneathRoot final {
 public:
  /// Opens `root` (absolute, or relative to the working directory now: a later chdir or rename of
  /// the path does not matter) and settles the resolution. Start-up only: throws
  /// std::invalid_argument, "root '<root>' ...", when it is not an openable directory, or when
  /// kOpenat2 is asked for on a system without openat2(2).
  explicit BeneathRoot(const std::string& root, PathResolution resolution = PathResolution::kAuto);
  ~BeneathRoot();
  BeneathRoot(BeneathRoot&& other) noexcept;
  BeneathRoot& operator=(BeneathRoot&& other) noexcept;
  BeneathRoot(const BeneathRoot&) = delete;
  BeneathRoot& operator=(const BeneathRoot&) = delete;

  /// Opens `path` followed by `name` beneath the root: read-only, close-on-exec, no controlling
  /// terminal, and O_NONBLOCK (opening a FIFO must not wait for a writer: clear the flag before
  /// handing a regular file to code that does not expect it). `path` is untrusted, e.g. a decoded
  /// request path ("" is the root itself; "." and empty components are harmless); `name` is empty
  /// or a file name (is_file_name) appended as it is, e.g. an index after "dir/".
  ///
  /// Returns the descriptor, which the caller then owns, or the errno of the failure:
  /// no_such_file_or_directory (ENOENT) for a path or name refused by its text, filename_too_long
  /// past PATH_MAX - 1 bytes, cross_device_link (EXDEV) for a symlink leading out of the root
  /// (openat2), too_many_symbolic_link_levels (ELOOP) or not_a_directory for any symlink (walk),
  /// else what openat(2) says (ENOENT, EACCES, EMFILE, ...). A plain std::errc, not an
  /// error_code: the failure path touches no category object (see beneath_root.cpp). Never
  /// throws; copies the path to the stack and allocates nothing. Blocks only on the open(2) of
  /// local files.
  boost::system::result<int, std::errc> open(std::string_view path,
                                             std::string_view name = {}) const;

  /// The resolution in use (kAuto resolved at construction).
  PathResolution resolution() const { return resolution_; }

  /// True for a single path component that is not "." or "..": no '/', no NUL, not empty.
  static bool is_file_name(std::string_view name);

 private:
  int root_fd_ = -1;
  PathResolution resolution_;
};

}  // namespace surge::detail
