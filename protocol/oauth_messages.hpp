#pragma once

// OAuth2 documents of racetime.gg (django-oauth-toolkit): token responses,
// OAuth errors and /o/userinfo (racetime-protocol.md §1).

#include "protocol/expected.hpp"
#include "protocol/race_data.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace racecontrol::protocol {

/// POST /o/token, 200. Tokens are secrets: never log this struct.
struct token_response {
  std::string access_token;
  std::int64_t expires_in = 0;              ///< seconds
  std::string token_type;                   ///< "Bearer"
  std::string scope;                        ///< space-separated
  std::optional<std::string> refresh_token; ///< authorization_code grants
};

/// POST /o/token failure: `{"error": "invalid_client"}`.
struct oauth_error_body {
  std::string error;
  std::optional<std::string> error_description;
};

/// GET /o/userinfo.
struct user_info {
  user_summary user;
  std::optional<std::string> active_race; ///< "category/slug" or null
};

expected<token_response> parse_token_response(std::string_view json);
expected<oauth_error_body> parse_oauth_error(std::string_view json);
expected<user_info> parse_user_info(std::string_view json);

std::string serialize(const token_response& t);
std::string serialize(const oauth_error_body& e);
std::string serialize(const user_info& u);

} // namespace racecontrol::protocol
