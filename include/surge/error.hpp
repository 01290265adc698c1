#pragma once
// ConfigError: what start-up and config loading throw; InvalidField: what a config struct's
// validate() throws.

#include <stdexcept>
#include <string>
#include <utility>

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

/// What the validate() of a config struct throws: one field cannot hold its value. field() is
/// the field's key as in a configuration file, relative to the struct ("window_ms", or
/// "adaptive/min_limit" inside a nested struct), so a loader can report it at its JSON path;
/// reason() says what is wrong ("expected an integer from 1 to 1000"). what() is
/// "<subject>: <field>: <reason>", the subject naming what the struct configures
/// (`circuit breaker "db"`). A std::invalid_argument, as the factories taking these structs throw.
class InvalidField final : public std::invalid_argument {
 public:
  InvalidField(std::string field, std::string reason, const std::string& subject = {})
      : std::invalid_argument((subject.empty() ? std::string() : subject + ": ") + field + ": " +
                              reason),
        field_(std::move(field)),
        reason_(std::move(reason)) {}

  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

}  // namespace surge
