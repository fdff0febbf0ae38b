#pragma once

// How the HTTP API writes its records as JSON: one function per record, so
// a list and a single answer show a row the same way. Times are ISO 8601
// UTC; absent values are null; secrets never appear (bots show their
// status, not their credentials).

#include "actors/messages.hpp"

#include "protocol/json.hpp"

#include <string>

namespace racecontrol {

void write_tournament(protocol::json_writer& w, const tournament_view& t);

/// A player with their link and (once the race ran) result.
void write_player(protocol::json_writer& w, const match_player_info& p);

/// A room; `racetime_url` makes its link.
void write_room(protocol::json_writer& w, const room_view& r,
                const std::string& racetime_url);

/// A match with its players, room (or null) and the reason it has none.
void write_match(protocol::json_writer& w, const match_view& m,
                 const std::string& racetime_url);

/// A bot's live state (bot supervisor), never its secret.
void write_bot(protocol::json_writer& w, const bot_info& b);

/// A bot row with its live state when it runs (`live`, from the bot
/// supervisor) or its stored status when it does not: never its secret.
void write_bot(protocol::json_writer& w, const bot_view& b,
               const bot_info* live);

/// A scheduled task with its settings and its last run.
void write_task(protocol::json_writer& w, const task_record& t);

/// An audit entry; its details as the JSON document stored.
void write_audit_entry(protocol::json_writer& w, const audit_entry& e);

/// Seed 001's answer to GET /api/matches/{id}/racetime-room, exactly:
/// {"has_room","room_slug","room_url","created_at","invited_count"}.
std::string room_status_json(const match_view& m,
                             const std::string& racetime_url);

/// Seed 001's answer to POST /api/matches/{id}/racetime-room, exactly:
/// {"room_slug","room_url","invited_players","goal"}.
std::string room_answer_json(const room_answer& a);

} // namespace racecontrol
