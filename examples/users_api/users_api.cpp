#include "users_api.hpp"

#include <charconv>

#include <surge/builtin_middleware.hpp>
#include <surge/json.hpp>

namespace users_api {
namespace {

nlohmann::json to_json(const User& user) {
  nlohmann::json j = {{"id", user.id}, {"name", user.name}, {"email", user.email}};
  if (user.age >= 0) j["age"] = user.age;
  return j;
}

std::optional<std::uint64_t> id_of(surge::Context& ctx) {
  std::string_view text = ctx.param("id");
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

void create_user(UserStore& store, surge::Context& ctx) {
  auto body = surge::read_json(ctx);
  if (!body) return;  // read_json answered 400 or 415
  surge::FieldErrors errors;
  if (!body->is_object()) {
    errors.add("", "expected a JSON object");
    errors.answer(ctx);
    return;
  }
  std::string name, email;
  int age = -1;
  auto name_field = body->find("name");
  if (name_field == body->end() || !name_field->is_string() || name_field->get<std::string>().empty()) {
    errors.add("name", "is required and must be a non-empty string");
  } else if (name_field->get<std::string>().size() > 100) {
    errors.add("name", "must be at most 100 characters");
  } else {
    name = name_field->get<std::string>();
  }
  auto email_field = body->find("email");
  if (email_field == body->end() || !email_field->is_string() ||
      email_field->get<std::string>().find('@') == std::string::npos) {
    errors.add("email", "is required and must be an email address");
  } else {
    email = email_field->get<std::string>();
  }
  if (auto age_field = body->find("age"); age_field != body->end()) {
    if (!age_field->is_number_integer() || age_field->get<int>() < 0 || age_field->get<int>() > 150) {
      errors.add("age", "must be an integer from 0 to 150");
    } else {
      age = age_field->get<int>();
    }
  }
  if (!errors.empty()) {
    errors.answer(ctx);
    return;
  }
  User user = store.create(std::move(name), std::move(email), age);
  ctx.response().add_header("Location", "/users/" + std::to_string(user.id));
  ctx.json(201, to_json(user));
}

}  // namespace

User UserStore::create(std::string name, std::string email, int age) {
  std::unique_lock lock(mutex_);
  User user{next_id_++, std::move(name), std::move(email), age};
  users_[user.id] = user;
  return user;
}

std::optional<User> UserStore::find(std::uint64_t id) const {
  std::shared_lock lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

bool UserStore::remove(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  return users_.erase(id) != 0;
}

std::vector<User> UserStore::list() const {
  std::shared_lock lock(mutex_);
  std::vector<User> out;
  for (const auto& [id, user] : users_) out.push_back(user);
  return out;
}

surge::Router make_router(std::shared_ptr<UserStore> store) {
  surge::Router router;
  router.use(surge::make_recover(nullptr));
  router.use(surge::make_request_id());

  auto users = router.group("/users");
  users.get("", [store](surge::Context& ctx) {
    nlohmann::json list = nlohmann::json::array();
    for (const User& user : store->list()) list.push_back(to_json(user));
    ctx.json(200, list);
  });
  users.get("/:id", [store](surge::Context& ctx) {
    auto id = id_of(ctx);
    auto user = id ? store->find(*id) : std::nullopt;
    if (!user) {
      ctx.json(404, {{"error", "no such user"}});
      return;
    }
    ctx.json(200, to_json(*user));
  });
  users.post("", [store](surge::Context& ctx) { create_user(*store, ctx); },
             surge::RouteOptions{.max_body_bytes = 16 * 1024});
  users.del("/:id", [store](surge::Context& ctx) {
    auto id = id_of(ctx);
    if (!id || !store->remove(*id)) {
      ctx.json(404, {{"error", "no such user"}});
      return;
    }
    ctx.response().set_status(204);
  });
  return router;
}

}  // namespace users_api
