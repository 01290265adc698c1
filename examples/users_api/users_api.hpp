#pragma once
// An in-memory users REST API: what a service written on surge looks like.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>
#include <memory>
#include <shared_mutex>
#include <string>

#include <surge/router.hpp>

namespace users_api {

struct User {
  std::uint64_t id = 0;
  std::string name;
  std::string email;
  int age = -1;  // optional: -1 when not given
};

/// Shared by every worker thread, so it has its own lock. (Per-request state never needs one:
/// a request lives on one worker. Shared application data does.)
class UserStore {
 public:
  User create(std::string name, std::string email, int age);
  std::optional<User> find(std::uint64_t id) const;
  bool remove(std::uint64_t id);
  std::vector<User> list() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::uint64_t, User> users_;
  std::uint64_t next_id_ = 1;
};

/// GET /users, GET /users/:id, POST /users (validated: 422 lists the bad fields),
/// DELETE /users/:id, under the built-in recover and request-id middleware.
surge::Router make_router(std::shared_ptr<UserStore> store);

}  // namespace users_api
