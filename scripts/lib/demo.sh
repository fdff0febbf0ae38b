# The demo of scripts/run: what an organizer sets up, and what racecontrold
# then does by itself, so a newcomer sees the whole cycle on the local
# racetime-sim and Discord stand-in. Sourced by scripts/run once racecontrold
# is ready.
#
#   demo_tournament CONTROL_URL DISCORD_CONTROL_URL CHANNEL DAEMON_PID
#
# It records (as root over the socket: mariadb_sql) a demo organization with
# the bot assigned, a tournament that opens its rooms a minute before each
# match and posts to a Discord channel, four linked players and three matches
# falling due a minute apart, plus the RACETIME_OPEN_ROOM safety-net task,
# and tells racecontrold to re-read its rows (SIGHUP). racecontrold then
# opens each room on time, invites the players, racetime-sim's demo players
# accept, ready and finish, and racecontrold records the results and posts
# each step to the Discord stand-in. This script only watches and reports.

demo_say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

demo_sql() {
  mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot --batch --skip-column-names \
    racecontrol -e "$1"
}

# Waits until the query gives a non-empty, non-NULL, non-0 answer (at most
# $2 seconds); prints the answer.
demo_wait_sql() { # SQL SECONDS
  local answer
  for _ in $(seq 1 $(($2 * 2))); do
    answer=$(demo_sql "$1" 2>/dev/null || true)
    if [ -n "$answer" ] && [ "$answer" != NULL ] && [ "$answer" != 0 ]; then
      echo "$answer"
      return 0
    fi
    sleep 0.5
  done
  return 1
}

demo_setup() { # CHANNEL
  demo_sql "
    INSERT INTO organizations (name) SELECT 'Demo League' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM organizations WHERE name = 'Demo League');
    SET @org = (SELECT MIN(id) FROM organizations WHERE name = 'Demo League');
    SET @bot = (SELECT id FROM racetime_bots WHERE category = 'alttpr');
    INSERT IGNORE INTO racetime_bot_organizations (bot_id, organization_id) VALUES (@bot, @org);
    INSERT INTO tournaments (organization_id, name, racetime_bot_id) SELECT @org, 'Demo Cup', @bot
      FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM tournaments WHERE name = 'Demo Cup');
    UPDATE tournaments SET racetime_bot_id = @bot, racetime_auto_create_rooms = 1,
        room_open_minutes_before = 1, require_racetime_link = 1,
        racetime_default_goal = 'Beat the game', discord_notification_channel_id = $1
      WHERE name = 'Demo Cup';
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000001, 'Alice', 'u1', 'Racer1' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u1');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000002, 'Bob', 'u2', 'Racer2' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u2');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000003, 'Carol', 'u3', 'Racer3' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u3');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000004, 'Dave', 'u4', 'Racer4' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u4');
    INSERT INTO scheduled_tasks (organization_id, name, task_type, schedule_type, interval_seconds)
      SELECT @org, 'Auto-Create Race Rooms', 'RACETIME_OPEN_ROOM', 'INTERVAL', 300 FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM scheduled_tasks WHERE name = 'Auto-Create Race Rooms');"
}

# A match of two players scheduled $3 minutes from now; prints its id.
demo_match() { # TITLE 'uA','uB' MINUTES
  demo_sql "
    SET @t = (SELECT MIN(id) FROM tournaments WHERE name = 'Demo Cup');
    INSERT INTO matches (tournament_id, title, scheduled_at)
      VALUES (@t, '$1', UTC_TIMESTAMP(6) + INTERVAL $3 MINUTE);
    SET @m = LAST_INSERT_ID();
    INSERT INTO match_players (match_id, user_id)
      SELECT @m, id FROM users WHERE racetime_id IN ($2);
    SELECT @m;"
}

# Reports one match from its room's opening to its result.
demo_follow() { # MATCH
  local m=$1 slug late
  slug=$(demo_wait_sql "SELECT slug FROM racetime_rooms WHERE match_id = $m AND claim_state = 'created'" 240) ||
    { demo_say "match $m: no room yet; its reason: $(demo_sql "SELECT room_reason_message FROM matches WHERE id = $m")"; return 1; }
  late=$(demo_sql "SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, m.scheduled_at - INTERVAL 1 MINUTE, r.claimed_at) / 1e6, 2)
                     FROM racetime_rooms r JOIN matches m ON m.id = r.match_id WHERE r.match_id = $m")
  demo_say "match $m: room $slug opened ${late} s after its open time"
  demo_wait_sql "SELECT finished_at IS NOT NULL FROM matches WHERE id = $m" 240 >/dev/null ||
    { demo_say "match $m: the race did not finish in time"; return 1; }
  demo_say "match $m: result as racecontrold recorded it:"
  demo_sql "SELECT u.display_name, mp.entrant_status, COALESCE(mp.finish_place, '-'),
                   COALESCE(mp.finish_time, '-')
              FROM match_players mp JOIN users u ON u.id = mp.user_id
             WHERE mp.match_id = $m ORDER BY mp.finish_place IS NULL, mp.finish_place" |
    awk -F'\t' '{ printf "         %-6s %-12s place %-2s time %s\n", $1, $2, $3, $4 }'
}

demo_tournament() {
  local discord_control=$2 channel=$3 daemon_pid=$4 a b c
  demo_setup "$channel"
  a=$(demo_match 'Round 1: Alice vs Bob' "'u1','u2'" 2)
  b=$(demo_match 'Round 1: Carol vs Dave' "'u3','u4'" 3)
  c=$(demo_match 'Final: Alice vs Carol' "'u1','u3'" 4)
  demo_say "Demo Cup: matches $a, $b, $c at +2, +3 and +4 min; rooms open 1 min before each"
  kill -HUP "$daemon_pid"
  for m in "$a" "$b" "$c"; do demo_follow "$m" || true; done
  sleep 3
  demo_say "what Discord (the local stand-in) received in channel $channel:"
  curl -fsS "$discord_control/messages?channel=$channel" |
    jq -r '.messages[] | "         " + .content' || true
  demo_say "audit trail of match $a: $(demo_sql "SELECT GROUP_CONCAT(action ORDER BY id SEPARATOR ', ')
      FROM audit_log WHERE (entity_type = 'match' AND entity_id = $a)
         OR (entity_type = 'racetime_room' AND entity_id = (SELECT id FROM racetime_rooms WHERE match_id = $a))")"
  demo_say "done; racecontrold keeps running (Ctrl-C stops everything)"
}
