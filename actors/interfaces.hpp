#pragma once

// Every actor interface of racecontrol, in one place: open this file to see
// every message in the system. Each alias lists what the actor accepts and,
// for requests, what it answers.

#include "actors/atoms.hpp"
#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace racecontrol {

/// What a PERSISTENCE WORKER serves: one request at a time, on a thread
/// of its own (detached), because ODB blocks. Every reply is a value or a
/// caf::error (database_unavailable, database_constraint, database_failure,
/// not_found) with a message a person can act on.
using persistence_worker_actor = caf::typed_actor<
    // Checks that the database answers; replies with its version and how far
    // the schema is migrated. Only reads.
    caf::replies_to<atom::status>::with<database_status>,
    // Every racetime.gg bot row, active or not.
    caf::replies_to<atom::get, atom::bots>::with<std::vector<bot_record>>,
    // Creates or updates the bot of a category from the configuration file
    // (is_active kept as the database has it); replies with its id.
    caf::replies_to<atom::put, bot_record>::with<std::int32_t>,
    // Records a bot's connection state (racetime_bots.status, ...).
    caf::replies_to<atom::put, bot_state_change>::with<atom::ok>,
    // Rooms whose race has not ended; parked ones only when the flag says so.
    caf::replies_to<atom::get, atom::rooms,
                    bool>::with<std::vector<room_record>>,
    // A room with its match and players (not_found when there is no room).
    caf::replies_to<atom::get, atom::room, std::int32_t>::with<room_context>,
    // Watched rooms whose context changed after the previous answer's
    // marker (a default marker: none, only a marker to start from).
    caf::replies_to<atom::get, room_changes>::with<room_changes>,
    // What changed in a room: status, entrants, the match's start.
    caf::replies_to<atom::put, room_progress>::with<atom::ok>,
    // Rooms' queued progress and audit entries, each room's list in order;
    // one transaction for them all unless a room's write is fenced (then
    // one each), one reply per list.
    caf::replies_to<atom::put, std::vector<std::vector<room_update>>>::with<
        std::vector<update_reply>>,
    // A finished race's result, exactly once.
    caf::replies_to<atom::put, room_result>::with<result_outcome>,
    // A room no longer watched: cancelled, gone or parked, with the reason.
    caf::replies_to<atom::put, room_closure>::with<atom::ok>,
    // (The four room writes above carry the writer's owner_epoch and are
    // refused with ec::fenced when the room was placed again since.)
    // Places a room on a worker node: a new owner_epoch; the row as it is
    // now (not_found when there is no such room).
    caf::replies_to<atom::put, room_assignment>::with<room_record>,
    // An audit entry written by racecontrol itself.
    caf::replies_to<atom::put, audit_record>::with<atom::ok>,
    // --- the scheduler's (task_store_actor below lists the same) ---
    // Active tasks, and those with a run marker set.
    caf::replies_to<atom::get, atom::tasks>::with<std::vector<task_record>>,
    // Schedules a task never scheduled; false when its row changed.
    caf::replies_to<atom::put, task_schedule>::with<bool>,
    // Claims a run before it starts (next_run_at advanced, marker set).
    caf::replies_to<atom::put, task_claim>::with<claim_outcome>,
    // A run's result; false when its marker was no longer this run's.
    caf::replies_to<atom::put, task_finish>::with<bool>,
    // A task whose schedule cannot be used, with the reason.
    caf::replies_to<atom::put, task_invalid>::with<atom::ok>,
    // --- the room automation's (automation_store_actor lists the same, but
    // one opening_request at a time) ---
    // Room openers' first step, several at once (the pool gathers the
    // opening_requests waiting for a worker): each match with its
    // tournament, bot, players, room and reason, the checks run, and its
    // room claimed before startrace (one claim per match: a second finds
    // the first's row) or the failed check's reason stored; one reply per
    // request, in order (not_found when there is no such match).
    caf::replies_to<atom::put, std::vector<opening_request>>::with<
        std::vector<opening_reply>>,
    // One more startrace under a claim, written before it is sent; false
    // when the claim is no longer this marker's.
    caf::replies_to<atom::put, claim_attempt>::with<bool>,
    // Claimed rooms that exist, several at once: each stored, its reason
    // cleared, its event audited; each answer is the room with its match
    // and players, as its watcher loads them (not_found when the row is no
    // longer this marker's claim).
    caf::replies_to<atom::put, std::vector<claim_settled>>::with<
        std::vector<settle_reply>>,
    // racetime.gg refused the room for sure: the claim is given up.
    caf::replies_to<atom::put, claim_refused>::with<bool>,
    // Why a match's room is not opened; true when the code changed.
    caf::replies_to<atom::put, match_reason>::with<bool>,
    // Claims still creating (recovered at start).
    caf::replies_to<atom::get, atom::claims>::with<std::vector<room_claim_row>>,
    // Tournaments and their matches in a window.
    caf::replies_to<atom::get, plan_query>::with<std::vector<tournament_plan>>,
    // --- the Discord notifier's ---
    // The oldest waiting notification of each channel that is due.
    caf::replies_to<atom::get, atom::notify>::with<std::vector<outbox_item>>,
    // What became of posting one.
    caf::replies_to<atom::put, outbox_result>::with<atom::ok>,
    // --- the HTTP API's ---
    // Who presented this bearer token, or why it is refused (malformed,
    // unknown, revoked); records the token's use.
    caf::replies_to<atom::get, api_credentials>::with<api_identity>,
    // A page of an organization's tournaments, or one by id (any's).
    caf::replies_to<atom::get,
                    tournament_query>::with<std::vector<tournament_view>>,
    // A page of an organization's matches, or one by id (any's), each
    // with its players, room and the reason it has none.
    caf::replies_to<atom::get, match_query>::with<std::vector<match_view>>,
    // A page of an organization's rooms, or one by id (any's), each with
    // its match's players and results.
    caf::replies_to<atom::get, room_query>::with<std::vector<room_view>>,
    // Creates or changes a match, audited with the token's identity;
    // refusals are make_refusal errors (forbidden, not_found,
    // unknown_tournament, unknown_users, players_not_linked).
    caf::replies_to<atom::put, match_write>::with<match_view>,
    // A page of an organization's scheduled tasks, or one by id (any's).
    caf::replies_to<atom::get, task_query>::with<std::vector<task_record>>,
    // Creates, changes or deletes a scheduled task, audited; refusals are
    // make_refusal errors (forbidden, not_found). Replies with the row as
    // it is now (the deleted one for a delete).
    caf::replies_to<atom::put, task_write>::with<task_record>,
    // The bots an organization may use, or one by id (any's), never with
    // a secret.
    caf::replies_to<atom::get, bot_query>::with<std::vector<bot_view>>,
    // Creates a bot for an organization or changes one it may use,
    // audited; refusals: forbidden, not_found, category_taken.
    caf::replies_to<atom::put, bot_write>::with<bot_view>,
    // The status page's upcoming matches, active rooms and recent results.
    caf::replies_to<atom::get, overview_query>::with<overview_view>,
    // The gauges /metrics reads on a scrape: rooms by status, the outbox.
    caf::replies_to<atom::get, atom::metrics>::with<database_gauges>,
    // --- the coordinator lease's (issue 13) ---
    // Takes the lease when free, expired or already the claimant's, or
    // renews it (MariaDB's clock decides expiry); the state says who holds
    // it and its epoch.
    caf::replies_to<atom::put, lease_claim>::with<lease_state>,
    // Ends the claimant's lease now; false when it did not hold it.
    caf::replies_to<atom::put, lease_release>::with<bool>,
    // --- RaceTime account linking (the HTTP API's) ---
    // Issues a one-time link state for a user of the organization (stored
    // as SHA-256, 15 minutes), or unlinks the user; audited. Refusals:
    // not_found, forbidden (the user is not the organization's).
    caf::replies_to<atom::put, link_order>::with<link_answer>,
    // A link state back from the browser: checked, or the racetime.gg
    // account stored under it (state used, tokens sealed, audited).
    // Refusals: link_unknown, link_used, link_expired, racetime_taken.
    caf::replies_to<atom::put, link_callback>::with<link_answer>,
    // --- the admin console's ---
    // Audit entries matching the query, newest first (at most 1000).
    caf::replies_to<atom::get, audit_query>::with<std::vector<audit_entry>>,
    // Every API token, of every organization, by id (never a hash).
    caf::replies_to<atom::get, atom::token>::with<std::vector<api_token_row>>,
    // Creates a token (audited); `refused` naming the unknown scope or
    // organization.
    caf::replies_to<atom::put, api_token_order>::with<api_token_issued>,
    // Revokes a token (audited; idempotent); not_found for an unknown id.
    caf::replies_to<atom::put, api_token_revocation>::with<api_token_row>,
    // The token a console login presents: its row when it is valid (scopes
    // to be checked by the caller), `refused` when it is malformed,
    // unknown or revoked (the same words for all three).
    caf::replies_to<atom::login, config::secret>::with<api_token_row>>;

/// The PERSISTENCE actor: the one door from actors to MariaDB. It accepts
/// every request of a worker and hands each to an idle worker of its pool,
/// so one slow query does not stall the others. Requests wait in order
/// while every worker is busy.
using persistence_actor = persistence_worker_actor::extend<
    // (Self-sent) checks that the database still answers and logs changes.
    caf::reacts_to<atom::tick>,
    // A room opener's first step, as one of the workers' batches (see
    // above): the requests waiting for a worker go to one together.
    caf::replies_to<atom::put, opening_request>::with<opening_result>,
    // A settle (see claim_settled above), gathered the same way: while one
    // batch of settles is at a worker the next ones wait together.
    caf::replies_to<atom::put, claim_settled>::with<room_context>,
    // A room's queued progress and audit entries, in one transaction,
    // gathered like the settles.
    caf::replies_to<atom::put, std::vector<room_update>>::with<atom::ok>>;

/// How long a request to the local PERSISTENCE actor may take: without
/// limit, because an answer always comes. Each worker's MariaDB calls end
/// within database.read_timeout and write_timeout, a worker that dies fails
/// the request it held, and when the pool itself ends the node restarts
/// every component started after it, requesters included. A timeout here
/// would protect nothing and cost CPU on every request: CAF's clock thread
/// wakes for each timeout armed, several times per room opened. (The
/// coordinator lease keeps its own limit: a renewal that ends after the
/// lease has run out is worth nothing.)
constexpr caf::infinite_t db_request_timeout{};

/// Whoever wants a category bot's tokens (room supervisors, one per node).
using token_subscriber_actor =
    caf::typed_actor<caf::reacts_to<atom::token, token_grant>>;

/// A BOT actor: one racetime.gg category bot (a racetime_bots row). Keeps
/// its token fresh (protocol::token_keeper), loads and refreshes the
/// category's goals, and keeps racetime_bots.status true.
using bot_actor = caf::typed_actor<
    // News from the token keeper (sent by its adapter).
    caf::reacts_to<atom::keeper, token_news>,
    // The category's goals, fetched (sent by the adapter).
    caf::reacts_to<atom::fetched, category_goals>,
    // Why the category data could not be fetched (sent by the adapter).
    caf::reacts_to<atom::fetched, fetch_failure>,
    // (Self-sent) fetches the category's data.
    caf::reacts_to<atom::fetch>,
    // A room socket's token was refused: renew it, once for all rooms.
    caf::reacts_to<atom::refused, config::secret>,
    // (Self-sent) retries writing the bot's state to the database.
    caf::reacts_to<atom::flush>,
    // One startrace attempt of request `id` came back (sent by the adapter).
    caf::reacts_to<atom::start, std::uint64_t, start_race_outcome>,
    // (Self-sent) request `id` waited too long for a renewed token.
    caf::reacts_to<atom::token, std::uint64_t>,
    // The category's races for listing `id`, or why not (the adapter).
    caf::reacts_to<atom::fetched, std::uint64_t, category_races>,
    caf::reacts_to<atom::fetched, std::uint64_t, fetch_failure>,
    // How the bot is doing.
    caf::replies_to<atom::status>::with<bot_info>,
    // Opens a race room: startrace, sent at most once per request (a 403
    // renews the token and tries once more). Every failure is an outcome,
    // not an error; `unknown` means the room may exist.
    caf::replies_to<atom::start, start_race_request>::with<start_race_outcome>,
    // The category's races that have not ended, unlisted ones included
    // (/o/{category}/data with the bot's token; cached by racetime.gg for
    // up to 60 s). An error when they cannot be read.
    caf::replies_to<atom::fetch, atom::races>::with<category_races>>;

/// Whoever wants to hear of every change of a bot's state (the tournament
/// supervisor: a reconnected bot unblocks its matches at once).
using bot_state_subscriber_actor =
    caf::typed_actor<caf::reacts_to<atom::state, bot_info>>;

/// The BOT SUPERVISOR actor: one bot actor per active racetime_bots row;
/// restarts one that dies with backoff (1 s doubling to 5 min, forever:
/// racetime.gg may be down for hours); hands the bots' tokens to the room
/// supervisors that subscribed.
using bot_supervisor_actor = caf::typed_actor<
    // Re-reads the racetime_bots rows: starts added bots, restarts changed
    // ones, stops deactivated ones.
    caf::replies_to<atom::reload>::with<atom::ok>,
    // Every bot and how it is doing.
    caf::replies_to<atom::status>::with<std::vector<bot_info>>,
    // Send this subscriber every new token of every bot (and the current
    // ones now).
    caf::reacts_to<atom::subscribe, token_subscriber_actor>,
    // A room socket's token of this category was refused.
    caf::reacts_to<atom::refused, std::string, config::secret>,
    // From a bot actor: its newest token.
    caf::reacts_to<atom::token, token_grant>,
    // From a bot actor: its state changed.
    caf::reacts_to<atom::state, bot_info>,
    // (Self-sent) starts a failed bot again after its backoff.
    caf::reacts_to<atom::restart, std::int32_t>,
    // Send this subscriber every bot's state when it changes (and every
    // current one now).
    caf::reacts_to<atom::subscribe, bot_state_subscriber_actor>,
    // startrace by the bot request.bot_id (not_found when it does not run).
    caf::replies_to<atom::start, start_race_request>::with<start_race_outcome>,
    // The current races of bot `bot_id`'s category (not_found when it does
    // not run).
    caf::replies_to<atom::fetch, atom::races,
                    std::int32_t>::with<category_races>>;

/// The RACE ROOM actor: one racetime.gg room, from attach to result. It
/// loads its match, fetches the race over HTTP (it may have moved on while
/// nobody watched), then holds the bot socket: applies each newer race.data,
/// writes what changed, invites and accepts match players, answers chat
/// commands, records the result exactly once and stops.
using race_room_actor = caf::typed_actor<
    // The race fetched over HTTP (sent by the room's link).
    caf::reacts_to<atom::fetched, race_snapshot>,
    // Why a fetch gave no race (sent by the room's link).
    caf::reacts_to<atom::fetched, fetch_failure>,
    // A text frame from the room's bot socket (sent by the room's link).
    caf::reacts_to<atom::frame, std::string>,
    // The socket opened, was lost, or gave up a frame (the room's link).
    caf::reacts_to<atom::socket, socket_event>,
    // (Self-sent) loads the room's match and players (again).
    caf::reacts_to<atom::load>,
    // From the supervisor: the room's match or players may have changed;
    // the context's fingerprint in the database now. Loads again only when
    // it differs from the loaded one (the room's own writes leave it).
    caf::reacts_to<atom::load, std::uint64_t>,
    // (Self-sent) fetches the race over HTTP.
    caf::reacts_to<atom::fetch>,
    // (Self-sent) retries the writes waiting for the database.
    caf::reacts_to<atom::flush>,
    // (Self-sent) the periodic pass: a fetch while the socket is down or
    // has been quiet for long.
    caf::reacts_to<atom::tick>,
    // How the watcher is doing, for operators.
    caf::replies_to<atom::status>::with<room_watch_info>>;

/// The ROOM CLOCK actor: wakes this node's rooms for their periodic pass
/// and their write batches from one timer of its own. Each CAF timer a room
/// set woke CAF's clock thread (and its setter paid two system calls); a
/// burst of rooms set three each. A wake-up comes at its time or up to the
/// clock's resolution later, never earlier; one for a room that ended is
/// dropped.
using room_clock_actor = caf::typed_actor<
    // Send this room `tick` once `delay` has passed.
    caf::reacts_to<atom::tick, caf::timespan, race_room_actor>,
    // Send this room `flush` once `delay` has passed.
    caf::reacts_to<atom::flush, caf::timespan, race_room_actor>,
    // (Self-sent) the clock's own timer, with the time it was armed for
    // (since its clock's epoch).
    caf::reacts_to<atom::due, caf::timespan>>;

/// The ROOM SUPERVISOR actor: one room actor per racetime_rooms row whose
/// race has not ended, all of them re-attached at start; restarts a failed
/// one with backoff and parks it (its reason stored, an audit entry
/// written) when it keeps failing. It relays the category bots' tokens to
/// this node's room sockets.
using room_supervisor_actor = token_subscriber_actor::extend<
    // Watch this room (just created, or found by a poll); ok when it is
    // watched already.
    caf::replies_to<atom::watch, room_record>::with<atom::ok>,
    // The same for a room its opener has just settled, with the context
    // read in that transaction: a new watcher starts from it instead of
    // asking the database again (a placer places the room as above).
    caf::replies_to<atom::watch, room_context>::with<atom::ok>,
    // Re-sync with the database: a watcher for every room to be watched
    // that lacks one (parked rooms wait for an operator).
    caf::replies_to<atom::poll>::with<poll_summary>,
    // Every watcher and its state, for operators.
    caf::replies_to<atom::status>::with<std::vector<room_watch_info>>,
    // (Self-sent) loads the rooms to watch at start, until it succeeds.
    caf::reacts_to<atom::load>,
    // (Self-sent) starts a failed room's watcher again after its backoff.
    caf::reacts_to<atom::restart, std::int32_t>,
    // (Self-sent) every rooms.refresh_interval: one query for the rooms
    // whose match, players or users changed; those rooms reload.
    caf::reacts_to<atom::tick>,
    // Stop watching this room (it moves to another node); ok once its
    // watcher has stopped (at once when it has none).
    caf::replies_to<atom::drop, std::int32_t>::with<atom::ok>,
    // This node's lease ran out (a worker cut off from its coordinator):
    // stop every watcher at once, without a write.
    caf::reacts_to<atom::fence>,
    // Take the category bots' tokens from this bot supervisor (a worker's,
    // handed over by the coordinator when it joins).
    caf::reacts_to<atom::subscribe, bot_supervisor_actor>>;

/// What the SCHEDULER needs of the persistence actor: the scheduled_tasks
/// requests (a persistence_actor handle converts to it; the scheduler's
/// tests serve it with the real repository on the test's thread).
using task_store_actor = caf::typed_actor<
    caf::replies_to<atom::get, atom::tasks>::with<std::vector<task_record>>,
    caf::replies_to<atom::put, task_schedule>::with<bool>,
    caf::replies_to<atom::put, task_claim>::with<claim_outcome>,
    caf::replies_to<atom::put, task_finish>::with<bool>,
    caf::replies_to<atom::put, task_invalid>::with<atom::ok>>;

/// What the ROOM AUTOMATION (tournaments, room openers) needs of the
/// persistence actor (a persistence_actor handle converts to it; tests
/// serve it with the real repository).
using automation_store_actor = caf::typed_actor<
    caf::replies_to<atom::put, opening_request>::with<opening_result>,
    caf::replies_to<atom::put, claim_attempt>::with<bool>,
    caf::replies_to<atom::put, claim_settled>::with<room_context>,
    caf::replies_to<atom::put, claim_refused>::with<bool>,
    caf::replies_to<atom::put, match_reason>::with<bool>,
    caf::replies_to<atom::get, atom::claims>::with<std::vector<room_claim_row>>,
    caf::replies_to<atom::get, plan_query>::with<std::vector<tournament_plan>>>;

/// What the DISCORD NOTIFIER needs of the persistence actor.
using outbox_store_actor = caf::typed_actor<
    caf::replies_to<atom::get, atom::notify>::with<std::vector<outbox_item>>,
    caf::replies_to<atom::put, outbox_result>::with<atom::ok>>;

/// The DISCORD NOTIFIER actor: posts the outbox's notifications to Discord
/// in order per channel, one request in flight per channel, retrying 5xx
/// and network failures with backoff and waiting out 429s; a slow or
/// failing Discord never holds up anything else.
using discord_notifier_actor = caf::typed_actor<
    // Something was written to the outbox: look now.
    caf::reacts_to<atom::notify>,
    // (Self-sent) the periodic look at the outbox.
    caf::reacts_to<atom::tick>,
    // From its adapter: what Discord answered to one notification.
    caf::reacts_to<atom::sent, outbox_result>>;

/// What the SCHEDULER needs of the room supervisor: its poll (a
/// room_supervisor_actor handle converts to it).
using room_poller_actor =
    caf::typed_actor<caf::replies_to<atom::poll>::with<poll_summary>>;

/// The SCHEDULER actor: runs the scheduled_tasks rows (INTERVAL, CRON,
/// ONE_TIME) on timers. Each run is claimed in the database before it
/// starts (next_run_at advanced, a run marker set), so a failed or crashed
/// run is never repeated at once and runs missed while the daemon was down
/// coalesce into one; each run is a request to the actor that does the
/// work, so a slow run delays no other task.
using scheduler_actor = caf::typed_actor<
    // Re-reads the task rows now (also done every scheduler.reload_interval)
    // so added, changed and deactivated tasks take effect.
    caf::reacts_to<atom::reload>,
    // Runs the task now, outside its schedule (next_run_at stays; a
    // ONE_TIME task is then done). ok once the run is claimed and started;
    // an error when there is no such active task or it is running.
    caf::replies_to<atom::run, std::int32_t>::with<atom::ok>,
    // (Self-sent) runs the tasks that are due; the number tells the current
    // timer from one armed before it.
    caf::reacts_to<atom::tick, std::uint64_t>,
    // (Self-sent) the periodic reload, re-armed each time.
    caf::reacts_to<atom::reload, atom::tick>>;

// --- the room automation
// ------------------------------------------------------

/// What a ROOM OPENER needs of the bots (a bot_supervisor_actor handle
/// converts to it): startrace, the category's races, the bots' live state.
using room_bots_actor = caf::typed_actor<
    caf::replies_to<atom::start, start_race_request>::with<start_race_outcome>,
    caf::replies_to<atom::fetch, atom::races,
                    std::int32_t>::with<category_races>,
    caf::replies_to<atom::status>::with<std::vector<bot_info>>>;

/// What a ROOM OPENER needs of the room supervisor: watch the new room
/// (with its context when the opener's settle read it).
using room_watcher_actor = caf::typed_actor<
    caf::replies_to<atom::watch, room_record>::with<atom::ok>,
    caf::replies_to<atom::watch, room_context>::with<atom::ok>>;

/// Who hears how a room opener ended (the tournament supervisor).
using opener_parent_actor =
    caf::typed_actor<caf::reacts_to<atom::opened, match_outcome>>;

/// A ROOM OPENER actor: one match's room, from the checks and the claim to
/// a watched room. It never sends startrace twice blindly: when the outcome
/// is unknown it looks for the room by its claim's marker (waiting out
/// racetime.gg's 60 s cache) before it sends again under the same claim;
/// a claim left `creating` by an earlier life is recovered the same way.
using room_opener_actor = caf::typed_actor<
    // A manual request joins this opener: answered with the room once it
    // exists, or with why not.
    caf::replies_to<atom::open, manual_open>::with<room_answer>,
    // (Self-sent) sends startrace (again) under the claim.
    caf::reacts_to<atom::start>,
    // (Self-sent) looks for the claim's room by its marker.
    caf::reacts_to<atom::search>,
    // (Self-sent) retries the step a database failure stopped.
    caf::reacts_to<atom::flush>>;

/// A TOURNAMENT actor: one active tournament with automatic rooms. Holds
/// its upcoming matches and one timer at the next of their open times, so
/// rooms open on time; every automation.recheck_interval it reloads them
/// and asks again for due matches a check blocked.
using tournament_actor = caf::typed_actor<
    // Reload the tournament and its matches now (a change, a pass, a bot).
    caf::reacts_to<atom::reload>,
    // (Self-sent) the next open time has come; the number tells the
    // current timer from an older one.
    caf::reacts_to<atom::due, std::uint64_t>,
    // (Self-sent) the periodic reload.
    caf::reacts_to<atom::tick>,
    // An opener of one of its matches finished.
    caf::reacts_to<atom::opened, match_outcome>>;

/// What the SCHEDULER needs of the tournament supervisor: its open pass,
/// and a manual open for a RACETIME_OPEN_ROOM task that names a match (a
/// tournament_supervisor_actor handle converts to it).
using open_pass_actor = caf::typed_actor<
    caf::replies_to<atom::open, open_pass>::with<open_pass_summary>,
    caf::replies_to<atom::open, manual_open>::with<room_answer>>;

/// The TOURNAMENT SUPERVISOR actor: one tournament actor per active
/// tournament with automatic rooms, one room opener per match being opened
/// (automatic and manual opens of a match meet in it); recovers the claims
/// left `creating` at start.
using tournament_supervisor_actor = caf::typed_actor<
    // The RACETIME_OPEN_ROOM task's run: reload the tournaments, open every
    // due room (and tell due matches of tournaments without automatic
    // rooms why they get none).
    caf::replies_to<atom::open, open_pass>::with<open_pass_summary>,
    // Open match M's room now (manual override).
    caf::replies_to<atom::open, manual_open>::with<room_answer>,
    // A tournament or match changed.
    caf::reacts_to<atom::changed, automation_change>,
    // Re-read the tournaments (SIGHUP).
    caf::reacts_to<atom::reload>,
    // From a tournament: open this match's room (unless one is opening).
    caf::reacts_to<atom::due, std::int32_t, std::int32_t>,
    // From a room opener: it finished.
    caf::reacts_to<atom::opened, match_outcome>,
    // From the bot supervisor: a bot's state changed.
    caf::reacts_to<atom::state, bot_info>,
    // (Self-sent) loads the tournaments and recovers claims at start.
    caf::reacts_to<atom::load>,
    // (Self-sent) every recheck interval: starts the actor of a tournament
    // whose automatic rooms were turned on outside racecontrold.
    caf::reacts_to<atom::tick>,
    // Stop (true) or resume (false) opening rooms on this node (the
    // console's `drain`): while draining, due matches, open passes and
    // manual opens start no opener; openers already running finish.
    caf::replies_to<atom::drain, bool>::with<atom::ok>>;

/// The HTTP API actor: answers the requests of racecontrold's HTTP server:
/// /healthz, /readyz, /metrics, the status page at /, the /api/ endpoints
/// behind bearer tokens (checked through the persistence actor), the OpenAPI
/// document, and the RaceTime account link pages under /link/. The server is
/// bound before the actors start and hands each request to the actor running
/// at the time (none while it restarts or stops: the client then gets 503).
using http_api_actor = caf::typed_actor<
    // One request; answered through its responder, at once or when a
    // request of the actor's own (to the persistence actor) returns.
    caf::reacts_to<atom::http, http_exchange>>;

/// The ADMIN CONSOLE actor: every session of racecontrold's line console
/// (protocol::line_server, bound before the actors start like the HTTP
/// server). One actor holds all sessions, keyed by session id: a session is
/// a few fields (logged in or not, failures), the server hands it one line
/// at a time and waits for the answer, and every command is an asynchronous
/// request to another component, so one slow command stalls no other
/// session; one actor also keeps the sessions' count and the node-wide
/// `drain` state in one place.
using admin_console_actor = caf::typed_actor<
    // A session opened, sent a line or closed; answered through the
    // exchange's reply (a closed session gets none).
    caf::reacts_to<atom::console, console_exchange>,
    // (Self-sent) answers a refused login of session S after the delay
    // that slows password guessing.
    caf::reacts_to<atom::login, std::uint64_t>>;

/// The CLUSTER MEMBER actor of a worker node: reaches a coordinator
/// (trying each configured one in turn, with backoff), joins it, and joins
/// again when the connection is lost.
using cluster_member_actor = caf::typed_actor<
    // From the coordinator: this node as it stands (name, rooms hosted).
    caf::replies_to<atom::status>::with<cluster_node_info>,
    // (Self-sent) tries the next coordinator.
    caf::reacts_to<atom::connect>,
    // (Self-sent) renews the lease; stops the node's rooms when it ran out.
    caf::reacts_to<atom::heartbeat>>;

/// The CLUSTER REGISTRY actor of a coordinator, published to the workers
/// over mutual TLS: knows which workers are in the cluster and notices
/// when one is gone (its connection lost or its process ended).
using cluster_registry_actor = caf::typed_actor<
    // A worker joins with its node name and its room supervisor; refused
    // while a connected node has the name. The reply is the coordinator's
    // bot supervisor, for the tokens of the rooms' sockets.
    caf::replies_to<atom::join, std::string, cluster_member_actor,
                    room_supervisor_actor>::with<bot_supervisor_actor>,
    // A worker renews its lease (cluster.heartbeat_interval); refused when
    // the coordinator holds it gone (its rooms moved): it joins again.
    caf::replies_to<atom::heartbeat, std::string>::with<atom::ok>,
    // (Self-sent) looks for workers whose lease ran out.
    caf::reacts_to<atom::tick>,
    // Every node, for operators.
    caf::replies_to<atom::status>::with<std::vector<cluster_node_info>>>;

/// The ROOM PLACER actor of a coordinator: serves the room supervisor's
/// interface (room openers, the scheduler's poll, status and tokens work
/// unchanged) by placing each room on the worker with the fewest rooms: a
/// new owner_epoch in MariaDB, then `watch` to that worker's supervisor.
/// Rooms wait while no worker is connected.
using room_placer_actor = room_supervisor_actor::extend<
    // From the cluster registry: worker NAME joined with its supervisor.
    caf::reacts_to<atom::join, std::string, room_supervisor_actor>,
    // From the cluster registry: worker NAME's lease ran out; its rooms
    // are placed on the others.
    caf::reacts_to<atom::leave, std::string>,
    // Moves worker NAME's rooms to the others (the console's `drain NODE`);
    // the number of rooms moved. not_found for an unknown worker.
    caf::replies_to<atom::drain, std::string>::with<std::uint32_t>,
    // The rooms placed on each connected worker (node_name and rooms set),
    // from its own bookkeeping: answers at once, even while a worker hangs.
    caf::replies_to<atom::status,
                    atom::place>::with<std::vector<cluster_node_info>>,
    // (Self-sent) places the rooms that wait.
    caf::reacts_to<atom::place>>;

/// The COORDINATOR LEASE actor (issue 13): takes and renews the lease that
/// makes one coordinator of several the active one. While standby it tries
/// every renew interval; once it holds the lease it tells the node to start
/// the components that wait for it, and if it cannot renew before the
/// lease runs out it ends with an error (which stops the node).
using coordinator_lease_actor = caf::typed_actor<
    // (Self-sent) claims or renews the lease now.
    caf::reacts_to<atom::tick>,
    // The lease as this node last saw it (held or not, holder, epoch).
    caf::replies_to<atom::status>::with<lease_state>>;

/// The NODE actor: root supervisor of one racecontrold process. It spawns
/// and monitors every component and stops them in a fixed order.
using node_actor = caf::typed_actor<
    // Replies with the node's name and its live components.
    caf::replies_to<atom::status>::with<node_status>,
    // Stops every component (newest first), then the node itself.
    caf::reacts_to<atom::shutdown>,
    // Passes `reload` on to the components that re-read their rows (SIGHUP).
    caf::reacts_to<atom::reload>,
    // Starts the components that wait (a standby coordinator that took the
    // lease with this epoch); once only, later ones are ignored.
    caf::reacts_to<atom::start, std::uint64_t>,
    // (Self-sent) starts the named component again after its backoff.
    caf::reacts_to<atom::restart, std::string>>;

} // namespace racecontrol
