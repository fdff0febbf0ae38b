#pragma once

// Documents and frames racetime.gg really sent, copied by hand from
// ../shared/docs/racetime-protocol.md (§1, §2, §3, §4, §7; the server's code
// at 4dbe61f, run locally, and the 2026-12-01 run against racecontrol's
// client). Written out here, never produced by code of this repository:
// the client's parsers and racetime-sim's writers are both held to them.

#include <string>

namespace racecontrol::test::real {

/// §3: `GET /testcat/crafty-vivi-7962/data` of a race a bot just opened.
inline const std::string race_data =
    R"({"version": 1, "name": "testcat/crafty-vivi-7962", "slug": "crafty-vivi-7962",
 "status": {"value": "open", "verbose_value": "Open", "help_text": "Anyone may join this race"},
 "url": "/testcat/crafty-vivi-7962", "data_url": "/testcat/crafty-vivi-7962/data",
 "websocket_url": "/ws/race/crafty-vivi-7962", "websocket_bot_url": "/ws/o/bot/crafty-vivi-7962",
 "websocket_oauth_url": "/ws/o/race/crafty-vivi-7962",
 "category": {"name": "Test Category", "short_name": "TEST", "slug": "testcat", "url": "/testcat", "data_url": "/testcat/data", "image": null},
 "goal": {"name": "Any%", "custom": false}, "info": "", "info_bot": "", "info_user": "", "team_race": false,
 "entrants_count": 0, "entrants_count_finished": 0, "entrants_count_inactive": 0, "entrants": [],
 "opened_at": "2026-11-22T01:40:54.396Z", "start_delay": "P0DT00H00M15S", "started_at": null, "ended_at": null,
 "cancelled_at": null, "ranked": true, "unlisted": false, "time_limit": "P1DT00H00M00S",
 "time_limit_auto_complete": false, "require_even_teams": false, "streaming_required": false, "auto_start": true,
 "opened_by": null, "opened_by_bot": "TestBot", "monitors": [], "recordable": true, "recorded": false,
 "recorded_by": null, "disqualify_unready": false, "allow_comments": true, "hide_comments": false,
 "hide_entrants": false, "chat_restricted": false, "allow_prerace_chat": true, "allow_midrace_chat": true,
 "allow_non_entrant_chat": false, "chat_message_delay": "P0DT00H00M00S", "bot_meta": {}})";

/// §1: the user summary inside `/o/userinfo` (User.api_dict_summary).
inline const std::string user_summary =
    R"({"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne", "discriminator": "4755",
    "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false})";

/// §1: `GET /o/userinfo`.
inline const std::string userinfo =
    R"({"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne", "discriminator": "4755",
    "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false,
    "active_race": null})";

/// §3: one entrant of a race in progress who finished first (its `user` is
/// user_summary above).
inline const std::string finished_entrant =
    R"({"user": {"id": "4BlRneEk9jxN6Qka", "full_name": "RacerOne#4755", "name": "RacerOne", "discriminator": "4755",
    "url": "/user/4BlRneEk9jxN6Qka/racerone", "avatar": null, "pronouns": null, "flair": "",
    "twitch_name": null, "twitch_display_name": null, "twitch_channel": null, "can_moderate": false},
  "team": null, "status": {"value": "done", "verbose_value": "Finished", "help_text": "Finished the race."},
  "finish_time": "P0DT00H00M12.216595S", "finished_at": "2026-11-22T01:44:46.815Z", "place": 1, "place_ordinal": "1st",
  "score": null, "score_change": null, "comment": null, "has_comment": false, "stream_live": false,
  "stream_override": false, "actions": ["add_comment", "undone"]})";

/// §1: `POST /o/token`, client credentials, no scope asked for.
inline const std::string token =
    R"({"access_token": "dVnfPdpCdHRII6OZlwNcWxPxAK3Imn", "expires_in": 36000, "token_type": "Bearer",
 "scope": "read chat_message race_action create_race"})";

/// §2: a 422 from startrace.
inline const std::string startrace_422 =
    R"({"errors": {"start_delay": ["Ensure this value is greater than or equal to 0:00:10."], "time_limit": ["Ensure this value is less than or equal to 3 days, 0:00:00."], "chat_message_delay": ["Ensure this value is less than or equal to 0:01:30."]}})";

/// §7: a bot's chat message as the bot socket delivered it.
inline const std::string bot_chat_message =
    R"({"type": "chat.message", "date": "2026-12-01T13:16:47.850362+00:00", "message": {"id": "WyqpgaYO8Nr1JwmM",
  "user": null, "bot": "racecontrol", "direct_to": null, "posted_at": "2026-12-01T13:16:47.832358+00:00",
  "message": "Hello from racecontrol", "message_plain": "Hello from racecontrol", "highlight": false,
  "is_dm": false, "is_bot": true, "is_monitor": null, "is_system": false, "is_pinned": false, "delay": 0,
  "actions": {}}})";

/// §7 "OAuth2 and tokens": /o/token's answers to a wrong redirect_uri, a
/// used or expired code, and an empty or unknown scope.
inline const std::string mismatching_redirect =
    R"({"error": "invalid_request", "error_description": "Mismatching redirect URI."})";
inline const std::string invalid_grant = R"({"error": "invalid_grant"})";
inline const std::string invalid_scope = R"({"error": "invalid_scope"})";
/// §1: a wrong client secret (401).
inline const std::string invalid_client = R"({"error": "invalid_client"})";

/// §7: what every bot action gets once its token has expired (the doc
/// quotes it without the envelope's `date`).
inline const std::string permission_denied =
    R"({"type": "error", "errors": ["Permission denied. Check your authorization token."]})";

/// §7: an over-long message.
inline const std::string message_too_long_error =
    "message: Ensure this value has at most 1000 characters (it has 1001).";

} // namespace racecontrol::test::real
