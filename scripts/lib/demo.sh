# The demo race of scripts/run: what an organizer and three players do, so a
# newcomer sees racecontrold's whole cycle on the local racetime-sim. Sourced
# by scripts/run after racecontrold is ready.
#
#   demo_race SIM_URL CONTROL_URL BOT_ID BOT_SECRET DAEMON_PID
#
# It opens a race as the demo bot (the next issue lets racecontrold open it
# on time by itself), records a demo tournament, match and room in MariaDB
# (as root over the socket: mariadb_sql), adds a task that polls for rooms
# and tells racecontrold to re-read its tasks (SIGHUP). Then Racer1-3 act in
# racetime-sim as players would once racecontrold has invited them, and the
# result is read back from MariaDB.

demo_say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

demo_sql() {
  mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot --batch --skip-column-names \
    racecontrol -e "$1"
}

demo_user() { # SLUG USER ACTION
  curl -fsS -X POST "$control/races/$1/users/$2/$3" >/dev/null
}

# Waits until jq filter $2 on the race's control view is true (60 s at most).
demo_wait_race() { # SLUG FILTER WHAT
  for _ in $(seq 1 120); do
    if curl -fsS "$control/races/$1" | jq -e "$2" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  demo_say "gave up waiting for: $3"
  return 1
}

demo_race() {
  local sim=$1 bot_id=$3 bot_secret=$4 daemon_pid=$5
  control=$2
  local token location slug name match
  token=$(curl -fsS -X POST "$sim/o/token" -d grant_type=client_credentials \
    -d "client_id=$bot_id" --data-urlencode "client_secret=$bot_secret" | jq -r .access_token)
  location=$(curl -fsS -o /dev/null -D - -X POST "$sim/o/alttpr/startrace" \
    -H "Authorization: Bearer $token" \
    --data-urlencode "goal=Beat the game" -d invitational=true -d unlisted=false \
    --data-urlencode "info_user=Demo Cup - Demo match" -d start_delay=15 -d time_limit=24 \
    -d streaming_required=false -d auto_start=true -d allow_comments=true \
    -d allow_prerace_chat=true -d allow_midrace_chat=true -d allow_non_entrant_chat=false \
    -d chat_message_delay=0 -d team_race=false -d ranked=true \
    | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  name=${location#/}
  slug=${name#*/}
  demo_say "opened race $name in racetime-sim as the demo bot"

  match=$(demo_sql "
    INSERT INTO organizations (name) SELECT 'Demo League' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM organizations WHERE name = 'Demo League');
    SET @org = (SELECT MIN(id) FROM organizations WHERE name = 'Demo League');
    SET @bot = (SELECT id FROM racetime_bots WHERE category = 'alttpr');
    INSERT INTO tournaments (organization_id, name, racetime_bot_id) SELECT @org, 'Demo Cup', @bot
      FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM tournaments WHERE name = 'Demo Cup');
    SET @t = (SELECT MIN(id) FROM tournaments WHERE name = 'Demo Cup');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000001, 'Alice', 'u1', 'Racer1' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u1');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000002, 'Bob', 'u2', 'Racer2' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u2');
    INSERT INTO users (discord_id, display_name, racetime_id, racetime_name)
      SELECT 900000000000000003, 'Carol', 'u3', 'Racer3' FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM users WHERE racetime_id = 'u3');
    INSERT INTO matches (tournament_id, title, scheduled_at)
      VALUES (@t, 'Demo match', UTC_TIMESTAMP(6) + INTERVAL 1 MINUTE);
    SET @m = LAST_INSERT_ID();
    INSERT INTO match_players (match_id, user_id)
      SELECT @m, id FROM users WHERE racetime_id IN ('u1', 'u2', 'u3');
    INSERT INTO racetime_rooms (slug, category, room_name, status, match_id, bot_id)
      VALUES ('$name', 'alttpr', '$slug', 'invitational', @m, @bot);
    INSERT INTO scheduled_tasks (name, task_type, schedule_type, interval_seconds)
      SELECT 'Watch open rooms', 'RACETIME_POLL_OPEN_ROOMS', 'INTERVAL', 60 FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM scheduled_tasks WHERE name = 'Watch open rooms');
    SELECT @m;")
  demo_say "recorded match $match (Alice, Bob, Carol) with its room; SIGHUP makes racecontrold poll"
  kill -HUP "$daemon_pid"

  local invited='[.race.entrants[] | select(.status.value == "invited")] | length == 3'
  demo_wait_race "$slug" "$invited" "racecontrold to invite the three players" || return 0
  demo_say "racecontrold invited all three; they accept and get ready"
  for u in u1 u2 u3; do demo_user "$slug" $u accept_invite; done
  for u in u1 u2 u3; do demo_user "$slug" $u ready; done
  demo_wait_race "$slug" '.race.status.value == "in_progress"' "the race to start" || return 0
  demo_say "the race is on; Carol forfeits, Alice and Bob finish"
  sleep 3
  demo_user "$slug" u3 forfeit
  sleep 2
  demo_user "$slug" u1 done
  sleep 1
  demo_user "$slug" u2 done
  demo_wait_race "$slug" '.race.status.value == "finished"' "the race to finish" || return 0
  for _ in $(seq 1 60); do
    [ "$(demo_sql "SELECT finished_at IS NOT NULL FROM matches WHERE id = $match")" = 1 ] && break
    sleep 0.5
  done
  demo_say "the result as racecontrold recorded it in MariaDB:"
  demo_sql "SELECT u.display_name, mp.entrant_status, COALESCE(mp.finish_place, '-'),
                   COALESCE(mp.finish_time, '-')
              FROM match_players mp JOIN users u ON u.id = mp.user_id
             WHERE mp.match_id = $match ORDER BY mp.finish_place IS NULL, mp.finish_place" |
    awk -F'\t' '{ printf "         %-6s %-12s place %-2s time %s\n", $1, $2, $3, $4 }'
  demo_say "audit trail: $(demo_sql "SELECT GROUP_CONCAT(action ORDER BY id SEPARATOR ', ')
                                   FROM audit_log WHERE entity_type = 'racetime_room'
                                    AND entity_id = (SELECT id FROM racetime_rooms WHERE slug = '$name')")"
  demo_say "done; racecontrold keeps running (Ctrl-C stops everything)"
}
