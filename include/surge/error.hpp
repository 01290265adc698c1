#pragma once
// ConfigError: what start-up and config loading throw.

#include <stdexcept>
#include <string>

namespace surge {

/// A configuration value is missing, of the wrong type, out of range, or unknown. Carries the
/// file and the JSON path of the bad key ("/limits/max_body_bytes") so the message can point at
/// it. Thrown only while loading or validating configuration, never while serving.
class ConfigError final : public std::runtime_error {
 public:
  ConfigError(std::string file, std::string json_path, const std::string& message)
      : std::runtime_error(format(file, json_path, message)),
        file_(std::move(file)),
        json_path_(std::move(json_path)) {}

  const std::string& file() const { return file_; }
  const std::string& json_path() const { return json_path_; }

 private:
  static std::string format(const std::string& file, const std::string& path,
                            const std::string& message) {
    std::string out = file.empty() ? std::string("configuration") : file;
    if (!path.empty()) out += ": " + path;
    return out + ": " + message;
  }

  std::string file_;
  std::string json_path_;
};

}  // namespace surge
