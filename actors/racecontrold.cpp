// racecontrold: the racecontrol daemon. Reads its settings, checks the
// database and its schema, starts the actor system under the node actor,
// and stops it cleanly on SIGINT or SIGTERM; SIGHUP re-reads the bot and
// scheduled task rows. Under systemd (Type=notify) it reports readiness,
// watchdog pings, reloads and its stop on $NOTIFY_SOCKET.

#include "actors/admin_console.hpp"
#include "actors/bot_supervisor.hpp"
#include "actors/cluster_member.hpp"
#include "actors/cluster_registry.hpp"
#include "actors/cluster_transport.hpp"
#include "actors/coordinator_lease.hpp"
#include "actors/discord_link.hpp"
#include "actors/error.hpp"
#include "actors/http_api.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/persistence_actor.hpp"
#include "actors/prompt_stealing.hpp"
#include "actors/room_placer.hpp"
#include "actors/room_supervisor.hpp"
#include "actors/scheduler.hpp"
#include "actors/tournament_supervisor.hpp"

#include "config/command_line.hpp"
#include "config/logging.hpp"
#include "config/settings.hpp"
#include "persistence/database.hpp"
#include "persistence/database_error.hpp"
#include "persistence/lease_repository.hpp"
#include "persistence/migration_lock.hpp"
#include "persistence/migrator.hpp"
#include "persistence/secret_columns.hpp"
#include "protocol/http_server.hpp"
#include "protocol/io_runtime.hpp"
#include "protocol/line_server.hpp"
#include "protocol/service_notifier.hpp"
#include "racecontrol/version.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <pthread.h>
#include <random>
#include <sched.h>
#include <sys/resource.h>
#include <thread>
#include <time.h>

namespace {

using namespace racecontrol;

constexpr int exit_config = 2;

const char* usage =
    R"(usage: racecontrold [--config FILE] [--migrate] [--SECTION.KEY=VALUE ...]

racecontrol runs tournament race rooms on racetime.gg: it opens each match's
room, invites the players, watches the race and records the results.

options:
  --config FILE   read settings from an INI file (see config/racecontrol.example.ini)
  --migrate       apply pending database migrations before starting
  --check-config  validate the settings and the database, then exit
  --help          show this help
  --version       print the version

Every setting can also be given on the command line, overriding the file:
)";

/// Every watched room holds a socket: raise the soft limit on open files to
/// the hard one, and say what it is.
void raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return;
  auto before = lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
      lim.rlim_cur = before;
  }
  spdlog::info("open files limit {} (was {}; each watched room uses one)",
               static_cast<unsigned long long>(lim.rlim_cur),
               static_cast<unsigned long long>(before));
}

/// Prints the one line an operator needs and returns the exit code.
int fail_start(const config::settings* s, const std::string& message) {
  auto line = config::scrub_secrets(message);
  if (s != nullptr && !s->log.file.empty())
    spdlog::critical("{}", line);
  std::fprintf(stderr, "racecontrold: %s\n", line.c_str());
  return exit_config;
}

/// The secret key from the environment, checked against what the database
/// holds. Required even when no secret is stored yet: without it configured
/// bots and account links could not be saved, and failing here says so in
/// one line instead of in every later write. Returns the problem, if any.
std::optional<std::string>
open_secrets(odb::mysql::database& db,
             std::shared_ptr<const persistence::secret_box>& out) {
  auto box = persistence::secret_box::from_environment();
  if (!box)
    return box.error().message;
  if (auto problem = persistence::secret_key_problem(db, *box))
    return problem;
  if (!box->has_key())
    return std::string{persistence::secret_box::key_variable} +
           " is not set: racecontrold stores bot client secrets and RaceTime "
           "tokens encrypted with it; set it to 32 random bytes in base64 "
           "(`racecontrol-migrate secrets keygen` prints one)";
  auto census = persistence::count_secrets(db, *box);
  if (census.plaintext > 0)
    spdlog::warn("{} secret(s) are still stored in plaintext: run "
                 "`racecontrol-migrate secrets encrypt` to encrypt them",
                 census.plaintext);
  spdlog::info("secrets: key id {}{}", box->key_id(),
               std::getenv(persistence::secret_box::old_key_variable)
                   ? " (and the old key, for rotation)"
                   : "");
  out = std::make_shared<const persistence::secret_box>(std::move(*box));
  return std::nullopt;
}

/// Has the database remember it is production, so that `racecontrol-migrate
/// fresh` refuses it even when run without this configuration.
void mark_production(persistence::migrator& m, const config::settings& s) {
  try {
    if (!m.marked_production()) {
      m.mark_production();
      spdlog::info("database {} marked production in its comment (migrate "
                   "fresh refuses it)",
                   s.database.database);
    }
  } catch (const persistence::database_error& e) {
    spdlog::warn("database {} could not be marked production ({}); grant "
                 "racecontrold ALTER on it, or mark it once by hand: ALTER "
                 "DATABASE {} COMMENT = 'racecontrol: production'",
                 s.database.database, e.what(), s.database.database);
  }
}

/// Applies pending migrations when allowed, else refuses to start.
std::optional<std::string> check_schema(odb::mysql::database& db,
                                        const persistence::migration_set& set,
                                        const config::settings& s,
                                        bool migrate) {
  persistence::migrator m{db, set};
  m.check_applied_match_files();
  if (s.database_production)
    mark_production(m, s);
  auto pending = m.pending();
  if (pending.empty())
    return std::nullopt;
  if (!migrate)
    return "database " + s.database.database + " at " + s.database.location() +
           " has " + std::to_string(pending.size()) +
           " pending migration(s), first " + pending.front()->up_file() +
           ": run `racecontrol-migrate up --database " + s.database.redacted() +
           "` (password from RACECONTROL_DATABASE_PASSWORD) or start "
           "racecontrold with --migrate";
  // Two daemons started with --migrate must not interleave.
  persistence::migration_lock lock{db, std::chrono::seconds{60}};
  m.up(std::nullopt, false, [](const persistence::migration& mig) {
    spdlog::info("applying migration {}", mig.up_file());
  });
  return std::nullopt;
}

/// The CPUs this thread may run on.
std::vector<int> allowed_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &allowed))
        out.push_back(cpu);
  return out;
}

/// Binds this thread, and so every thread started after it, to daemon.cpus.
/// Returns the CPUs in effect: the kernel keeps only those a cpuset allows.
std::vector<int> apply_cpus(const std::vector<int>& cpus) {
  if (cpus.empty())
    return {};
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus)
    if (cpu < CPU_SETSIZE)
      CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) == 0)
    return allowed_cpus();
  int err = errno;
  throw config::config_error("daemon.cpus: cannot run on CPUs " +
                             config::cpu_list(cpus) + " (" +
                             std::strerror(err) + "); this process may use " +
                             config::cpu_list(allowed_cpus()));
}

/// Turns SIGINT/SIGTERM into a message to the main thread's actor; a second
/// signal ends the process at once (an operator who insists).
void start_signal_thread(caf::actor main_actor, const sigset_t& signals) {
  std::thread([main_actor, signals] {
    pthread_setname_np(pthread_self(), "rc.signals");
    int count = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0)
        continue;
      if (sig == SIGHUP) { // reload, not stop
        caf::anon_send(main_actor, atom::signal::value, sig);
        continue;
      }
      if (++count == 1) {
        caf::anon_send(main_actor, atom::signal::value, sig);
        continue;
      }
      spdlog::critical("second {}: exiting at once",
                       sig == SIGINT ? "SIGINT" : "SIGTERM");
      config::shutdown_logging();
      std::_Exit(1);
    }
  }).detach();
}

/// Waits until every actor has finished, at most until `deadline`. A
/// detached actor stuck in a blocking call (a database that froze) cannot
/// see its exit message; the process then ends without it rather than
/// hanging, and says so.
bool await_all_actors(caf::actor_system& sys, std::size_t baseline,
                      std::chrono::steady_clock::time_point deadline) {
  while (sys.registry().running() > baseline) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

/// Asks the node for its status; true when it answered.
bool node_ready(caf::scoped_actor& self, const node_actor& root) {
  bool ready = false;
  self->request(root, std::chrono::seconds{15}, atom::status::value)
      .receive(
          [&](const node_status& st) {
            ready = true;
            spdlog::info("ready: node {} with {} component(s); MariaDB {} at "
                         "{}, database {} at schema {}",
                         st.node_name, st.components.size(),
                         st.database.server_version, st.database.location,
                         st.database.database, st.database.schema_version);
          },
          [&](const caf::error& err) {
            spdlog::critical("node did not become ready: {}", describe(err));
          });
  return ready;
}

/// Sends `state` to systemd; a failure is logged, never fatal (the daemon
/// serves whether or not systemd heard it).
void tell_systemd(const protocol::service_notifier& notifier,
                  const std::string& state) {
  if (auto sent = notifier.notify(state); !sent)
    spdlog::warn("{}", sent.error().message);
}

/// RELOADING=1 with the monotonic time systemd (Type=notify-reload) wants.
std::string reloading_state() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  auto usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

/// Pings systemd's watchdog every `interval`, each ping earned: the node
/// must answer a status request within `interval`. Any answer counts, an
/// error too (MariaDB down is /readyz's business, and a restart would not
/// bring it back); only silence means the actor system no longer runs its
/// mailboxes, and then systemd restarts the daemon. An event-based actor
/// (not the main thread's blocking receive) so that a late answer or timeout
/// of one check cannot disturb the schedule of the next.
caf::behavior systemd_watchdog(caf::event_based_actor* self, node_actor root,
                               protocol::service_notifier notifier,
                               std::chrono::microseconds interval) {
  self->send(self, atom::tick::value);
  return {
      [=](atom::tick) {
        self->delayed_send(self, interval, atom::tick::value);
        self->request(root, interval, atom::status::value)
            .then(
                [=](const node_status&) {
                  tell_systemd(notifier, "WATCHDOG=1");
                },
                [=](const caf::error& err) {
                  if (err != caf::sec::request_timeout)
                    return tell_systemd(notifier, "WATCHDOG=1");
                  spdlog::error("watchdog: the node did not answer within {} "
                                "ms; not telling systemd it is alive",
                                interval.count() / 1000);
                });
      },
  };
}

/// Runs the node until a signal or its own end; returns the exit status.
int supervise(caf::actor_system& sys, caf::scoped_actor& self,
              std::size_t baseline, const node_actor& root,
              const config::settings& s, const sigset_t& signals,
              const protocol::service_notifier& notifier) {
  self->monitor(root);
  // The grace period the node gives its components, plus a moment for the
  // node itself to report.
  auto stop_limit = s.shutdown_timeout + std::chrono::milliseconds{500};
  int status = 0;
  bool stopped_by_signal = false;
  if (!node_ready(self, root)) {
    caf::anon_send_exit(root, caf::exit_reason::kill);
    status = 1;
  } else {
    start_signal_thread(caf::actor_cast<caf::actor>(self), signals);
    // Ready: the database answered and its schema is current (checked
    // before the actor system started), every component has started and
    // the node answered a status request through the persistence actor.
    tell_systemd(notifier, "READY=1\nSTATUS=serving as node " + s.node_name);
    // Hidden: not among the actors the stop waits for; it ends with the
    // loop below.
    caf::actor watchdog;
    if (auto interval = notifier.watchdog_interval())
      watchdog =
          sys.spawn<caf::hidden>(systemd_watchdog, root, notifier, *interval);
    bool running = true;
    self->receive_while(running)(
        [&](atom::signal, int sig) {
          if (sig == SIGHUP) {
            spdlog::info("received SIGHUP; reloading bots and scheduled "
                         "tasks from the database");
            tell_systemd(notifier, reloading_state());
            caf::anon_send(root, atom::reload::value);
            // The reload runs in the components while the node serves on;
            // systemd waits for READY=1 to end the reload job.
            tell_systemd(notifier, "READY=1\nSTATUS=serving as node " +
                                       s.node_name + " (reloaded)");
            return;
          }
          running = false;
          stopped_by_signal = true;
          spdlog::info("received {}; stopping",
                       sig == SIGINT ? "SIGINT" : "SIGTERM");
          tell_systemd(notifier,
                       "STOPPING=1\nSTATUS=stopping on " +
                           std::string{sig == SIGINT ? "SIGINT" : "SIGTERM"});
          caf::anon_send(root, atom::shutdown::value);
        },
        [&](const caf::down_msg& msg) {
          // The node ended on its own: it gave up on a component.
          running = false;
          std::fprintf(stderr, "racecontrold: stopping: %s\n",
                       describe(msg.reason).c_str());
          spdlog::critical("stopping: {}", describe(msg.reason));
          tell_systemd(notifier,
                       "STOPPING=1\nSTATUS=stopping: " + describe(msg.reason));
          status = 1;
        });
    // No pings while stopping: systemd's stop timeout governs now.
    if (watchdog)
      caf::anon_send_exit(watchdog, caf::exit_reason::user_shutdown);
  }
  auto deadline = std::chrono::steady_clock::now() + stop_limit;
  if (stopped_by_signal) {
    self->receive(
        [&](const caf::down_msg& msg) {
          if (msg.reason) {
            spdlog::error("node stopped with an error: {}",
                          describe(msg.reason));
            status = 1;
          }
        },
        caf::after(stop_limit) >>
            [&] {
              spdlog::error("the node did not stop within {} ms",
                            stop_limit.count());
              status = 1;
            });
  }
  if (!await_all_actors(sys, baseline, deadline)) {
    spdlog::critical("{} actor(s) still busy {} ms after the stop began (a "
                     "database call that does not return?); exiting without "
                     "them",
                     sys.registry().running() - baseline, stop_limit.count());
    spdlog::info("racecontrold exits with status 1");
    config::shutdown_logging();
    std::_Exit(1);
  }
  return status;
}

std::vector<component_spec> daemon_components(
    const config::settings& s, std::shared_ptr<odb::mysql::database> db,
    std::shared_ptr<const persistence::secret_box> secrets,
    const persistence::migration_set* migrations, protocol::io_runtime& io,
    std::shared_ptr<http_api_slot> http_slot,
    std::shared_ptr<console_slot> console, std::function<void()> stop_node) {
  persistence_options db_options{db, migrations, s.database_workers,
                                 s.database_health_interval};
  db_options.secrets = std::move(secrets);
  db_options.undo_window = s.room_undo_window;
  bot_supervisor_options bot_options;
  bot_options.bot.startrace_timeout = s.automation_startrace_timeout;
  for (const auto& b : s.bots)
    bot_options.configured.push_back(
        bot_record{0, b.category, b.name, b.client_id, b.client_secret, true});
  room_supervisor_options room_options;
  room_options.room.tick_interval = s.room_refresh_interval;
  room_options.room.undo_window = s.room_undo_window;
  room_options.room.racebot_cancel_after = s.room_racebot_cancel_after;
  protocol::websocket_options socket_options;
  socket_options.ping_interval = s.racetime_ping_interval;
  scheduler_options scheduler_opts;
  scheduler_opts.node_name = s.node_name;
  scheduler_opts.reload_interval = s.scheduler_reload_interval;
  scheduler_opts.run_timeout = s.scheduler_run_timeout;
  scheduler_opts.stale_after =
      s.scheduler_run_timeout + std::chrono::minutes{1};
  tournament_supervisor_options automation;
  automation.tournaments.grace = s.automation_grace_period;
  automation.tournaments.recheck_interval = s.automation_recheck_interval;
  automation.tournaments.open_step = s.automation_open_step;
  automation.openers.grace = s.automation_grace_period;
  automation.openers.search_after = s.automation_search_after;
  automation.openers.search_interval = s.automation_search_interval;
  automation.openers.listing_lag =
      std::max(s.automation_search_after - s.automation_startrace_timeout,
               std::chrono::milliseconds{0});
  automation.openers.racetime_base = s.racetime_url;
  automation.openers.node_name = s.node_name;
  discord_notifier_options notifier_options;
  notifier_options.poll_interval = s.discord_poll_interval;
  auto sender = discord_link(io.http(), *protocol::parse_url(s.discord_api_url),
                             s.discord_bot_token, s.racetime_url);
  auto* net = &io;
  // Started in this order, stopped in reverse: the HTTP API and the
  // scheduler stop first, rooms stop (and write what they hold) before the
  // bots, the bots before the database.
  std::vector<component_spec> components{
      {"persistence",
       [db_options](caf::actor_system& sys, const component_handles&) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(persistence_behavior, db_options));
       }},
      {"bots",
       [bot_options, net](caf::actor_system& sys, const component_handles& h) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(bot_supervisor,
                       caf::actor_cast<persistence_actor>(h.at("persistence")),
                       net, bot_options));
       },
       /* reloads on SIGHUP */ true},
      {"rooms",
       [room_options, socket_options, net](caf::actor_system& sys,
                                           const component_handles& h) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(room_supervisor,
                       caf::actor_cast<persistence_actor>(h.at("persistence")),
                       caf::actor_cast<bot_supervisor_actor>(h.at("bots")),
                       racetime_links(*net, socket_options), room_options));
       }},
      {"notifier",
       [notifier_options, sender](caf::actor_system& sys,
                                  const component_handles& h) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(discord_notifier,
                       caf::actor_cast<outbox_store_actor>(h.at("persistence")),
                       sender, notifier_options));
       }},
      {"tournaments",
       [automation](caf::actor_system& sys, const component_handles& h) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(tournament_supervisor,
                       caf::actor_cast<persistence_actor>(h.at("persistence")),
                       caf::actor_cast<bot_supervisor_actor>(h.at("bots")),
                       caf::actor_cast<room_supervisor_actor>(h.at("rooms")),
                       automation));
       },
       /* reloads on SIGHUP */ true},
      {"scheduler",
       [scheduler_opts](caf::actor_system& sys, const component_handles& h) {
         return caf::actor_cast<caf::actor>(sys.spawn(
             scheduler, caf::actor_cast<task_store_actor>(h.at("persistence")),
             caf::actor_cast<room_poller_actor>(h.at("rooms")),
             caf::actor_cast<open_pass_actor>(h.at("tournaments")),
             scheduler_opts));
       },
       /* reloads on SIGHUP */ true},
  };
  http_api_options api_options;
  api_options.racetime_url = s.racetime_url;
  api_options.link_client_id = s.link_client_id;
  api_options.link_client_secret = s.link_client_secret;
  api_options.link_public_url = s.link_public_url;
  api_options.racetime = &io.api();
  if (http_slot)
    components.push_back(
        {"http", [http_slot, api_options](caf::actor_system& sys,
                                          const component_handles& h) {
           http_api_peers peers{
               caf::actor_cast<persistence_actor>(h.at("persistence")),
               caf::actor_cast<tournament_supervisor_actor>(
                   h.at("tournaments")),
               caf::actor_cast<bot_supervisor_actor>(h.at("bots")),
               caf::actor_cast<scheduler_actor>(h.at("scheduler"))};
           if (h.count("cluster"))
             peers.cluster =
                 caf::actor_cast<cluster_registry_actor>(h.at("cluster"));
           return caf::actor_cast<caf::actor>(
               sys.spawn(http_api, peers, http_slot, api_options));
         }});
  if (console) {
    admin_console_options console_options;
    console_options.node_name = s.node_name;
    console_options.password = s.console_password;
    console_options.stop_node = std::move(stop_node);
    components.push_back(
        {"console", [console, console_options](caf::actor_system& sys,
                                               const component_handles& h) {
           admin_console_components c{
               caf::actor_cast<persistence_actor>(h.at("persistence")),
               caf::actor_cast<bot_supervisor_actor>(h.at("bots")),
               caf::actor_cast<room_supervisor_actor>(h.at("rooms")),
               caf::actor_cast<scheduler_actor>(h.at("scheduler")),
               caf::actor_cast<tournament_supervisor_actor>(
                   h.at("tournaments"))};
           if (h.count("cluster"))
             c.cluster =
                 caf::actor_cast<cluster_registry_actor>(h.at("cluster"));
           return caf::actor_cast<caf::actor>(
               sys.spawn(admin_console, c, console, console_options));
         }});
  }
  return components;
}

/// A worker node (issue 13): its database pool (rooms write through it
/// directly: a round trip through the coordinator would double every
/// write's latency and make the coordinator the bottleneck), the rooms the
/// coordinator places on it, and its membership of the cluster. The HTTP
/// API, the console, the bots, the tournaments and the scheduler stay on
/// the coordinator; the rooms take the bots' tokens from there.
std::vector<component_spec> worker_components(
    const config::settings& s, std::shared_ptr<odb::mysql::database> db,
    std::shared_ptr<const persistence::secret_box> secrets,
    const persistence::migration_set* migrations, protocol::io_runtime& io) {
  persistence_options db_options{db, migrations, s.database_workers,
                                 s.database_health_interval};
  db_options.secrets = std::move(secrets);
  db_options.undo_window = s.room_undo_window;
  room_supervisor_options room_options;
  room_options.room.tick_interval = s.room_refresh_interval;
  room_options.room.undo_window = s.room_undo_window;
  room_options.room.racebot_cancel_after = s.room_racebot_cancel_after;
  room_options.load_at_start = false; // the coordinator places them
  protocol::websocket_options socket_options;
  socket_options.ping_interval = s.racetime_ping_interval;
  cluster_member_options member;
  member.node_name = s.node_name;
  member.coordinators = s.cluster_coordinators;
  member.heartbeat = s.cluster_heartbeat;
  member.lease = s.cluster_lease;
  auto* net = &io;
  return {
      {"persistence",
       [db_options](caf::actor_system& sys, const component_handles&) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(persistence_behavior, db_options));
       }},
      {"rooms",
       [room_options, socket_options, net](caf::actor_system& sys,
                                           const component_handles& h) {
         return caf::actor_cast<caf::actor>(
             sys.spawn(room_supervisor,
                       caf::actor_cast<persistence_actor>(h.at("persistence")),
                       bot_supervisor_actor{},
                       racetime_links(*net, socket_options), room_options));
       }},
      {"cluster",
       [member](caf::actor_system& sys, const component_handles& h) mutable {
         member.transport = sys.openssl_manager().actor_handle();
         member.rooms = caf::actor_cast<room_supervisor_actor>(h.at("rooms"));
         return caf::actor_cast<caf::actor>(sys.spawn(cluster_member, member));
       }},
  };
}

/// A coordinator hosts no rooms: its "rooms" component places them on the
/// workers (the components that talk to "rooms" work unchanged).
void place_rooms_on_workers(std::vector<component_spec>& components,
                            const config::settings& s) {
  room_placer_options placer;
  placer.adopt_grace = s.cluster_lease + std::chrono::seconds{1};
  for (auto& c : components)
    if (c.name == "rooms")
      c.spawn = [placer](caf::actor_system& sys, const component_handles& h) {
        return caf::actor_cast<caf::actor>(sys.spawn(
            room_placer,
            caf::actor_cast<persistence_actor>(h.at("persistence")), placer));
      };
}

/// The coordinator's registry of workers, published on cluster.listen.
component_spec registry_component(const config::settings& s) {
  cluster_registry_options registry;
  registry.listen = *s.cluster_listen;
  registry.heartbeat = s.cluster_heartbeat;
  registry.lease = s.cluster_lease;
  return {"cluster", [registry](caf::actor_system& sys,
                                const component_handles& h) mutable {
            registry.transport = sys.openssl_manager().actor_handle();
            registry.placer = caf::actor_cast<room_placer_actor>(h.at("rooms"));
            registry.bots = caf::actor_cast<bot_supervisor_actor>(h.at("bots"));
            return caf::actor_cast<caf::actor>(
                sys.spawn(cluster_registry, registry));
          }};
}

/// A coordinator (issue 13): the registry workers join, before the HTTP
/// API and the console (which show its nodes); the coordinator lease right
/// after the persistence actor; and every other component waiting until
/// the lease is held, so that of several coordinators on one database only
/// the active one opens rooms or publishes the registry. A standby binds
/// its HTTP server and console all the same (a port in use is found at
/// start, not at takeover) and answers them 503 / an error naming it as the
/// standby, so a load balancer's /readyz check sends traffic to the active
/// one only.
/// Returns the lease's holder name: the node's name and a random token of
/// this process, so that two processes given the same node name (a copied
/// configuration, the host name in two containers) never both believe they
/// hold the lease.
std::string make_coordinator(const config::settings& s,
                             std::vector<component_spec>& components,
                             http_api_slot& http, console_slot& console) {
  auto before = std::find_if(components.begin(), components.end(),
                             [](const component_spec& c) {
                               return c.name == "http" || c.name == "console";
                             });
  components.insert(before, registry_component(s));
  coordinator_lease_options lease;
  lease.node_name = s.node_name;
  char token[16];
  std::snprintf(token, sizeof token, "@%08x",
                static_cast<unsigned>(std::random_device{}()));
  lease.holder = s.node_name + token;
  lease.renew_interval = s.cluster_lease_renew_interval;
  lease.lease = s.cluster_coordinator_lease;
  component_spec lease_spec{
      "lease", [lease](caf::actor_system& sys, const component_handles& h) {
        return caf::actor_cast<caf::actor>(
            sys.spawn(coordinator_lease,
                      caf::actor_cast<persistence_actor>(h.at("persistence")),
                      caf::actor_cast<node_actor>(h.at("node")), lease));
      }};
  lease_spec.critical = true;
  for (auto& c : components)
    c.waits = c.name != "persistence";
  components.insert(components.begin() + 1, std::move(lease_spec));
  auto why = "this coordinator (" + s.node_name +
             ") is the standby; the active coordinator serves, and this one "
             "takes over when the active one's lease runs out";
  http.set_unavailable(why);
  console.set_unavailable(why);
  return lease.holder;
}

/// After the node stopped (nothing acts any more): gives up the coordinator
/// lease at once, so a standby takes over within a renew interval instead
/// of waiting for the lease to run out.
void release_lease(const std::string& holder, odb::mysql::database& db) {
  try {
    if (persistence::lease_repository{db}.release(
            {coordinator_lease_options{}.lease_name, holder}))
      spdlog::info("cluster: {} released the coordinator lease", holder);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: could not release the coordinator lease ({}); a "
                 "standby takes over when it runs out",
                 e.what());
  }
}

/// For a node of a cluster: checks its certificate, key and CA and loads
/// the TLS transport into `cfg`; an error line, or "" when it is ready.
std::string set_up_cluster(const config::settings& s,
                           caf::actor_system_config& cfg) {
  if (s.role == config::cluster_role::standalone)
    return "";
  cluster_tls tls{s.cluster_certificate, s.cluster_key, s.cluster_ca};
  if (auto err = check_cluster_tls(tls))
    return describe(err);
  configure_cluster_transport(cfg, tls);
  return "";
}

/// Binds the HTTP server before the actors start, so a port in use ends
/// the start with one clear line (exit status 2) instead of a component
/// that fails over and over. Requests that come before the HTTP API actor
/// runs are answered 503. Null when http.listen is off.
std::unique_ptr<protocol::http_server>
start_http(const config::settings& s, protocol::io_runtime& io,
           std::shared_ptr<http_api_slot> slot) {
  if (!s.http_listen) {
    spdlog::info("http: off (http.listen)");
    return nullptr;
  }
  protocol::http_server_options o;
  o.address = s.http_listen->host;
  o.port = s.http_listen->port;
  o.max_body = s.http_max_body;
  o.read_timeout = s.http_read_timeout;
  o.trust_forwarded = s.http_trust_forwarded;
  o.trusted_proxies = s.http_trusted_proxies;
  o.tls_certificate = s.http_certificate;
  o.tls_key = s.http_key;
  auto server = std::make_unique<protocol::http_server>(
      io.io(), o, http_api_handler(std::move(slot)));
  try {
    server->start();
  } catch (const std::exception& e) {
    // The server's message names the address, or the TLS file and what is
    // wrong with it; the prefix names the setting to change.
    std::string what = e.what();
    bool listening = what.rfind("cannot listen", 0) == 0;
    throw config::config_error(
        (listening ? "http.listen: " : "http.certificate/http.key: ") + what +
        (listening ? " (check --http.listen=ADDRESS:PORT or off)" : ""));
  }
  spdlog::info("http: listening on {} ({})", server->bound_address(),
               server->uses_tls() ? "HTTPS" : "plain HTTP");
  return server;
}

/// Binds the admin console before the actors start, like the HTTP server
/// (a port or socket in use ends the start with one clear line). Null when
/// console.listen is off and no console.socket is set.
std::unique_ptr<protocol::line_server>
start_console(const config::settings& s, protocol::io_runtime& io,
              std::shared_ptr<console_slot> slot) {
  if (!s.console_listen && s.console_socket.empty()) {
    spdlog::info("console: off (console.listen, console.socket)");
    return nullptr;
  }
  protocol::line_server_options o;
  o.address = s.console_listen ? s.console_listen->host : "";
  o.port = s.console_listen ? s.console_listen->port : 0;
  o.unix_path = s.console_socket;
  o.idle_timeout = s.console_idle_timeout;
  o.login_timeout = s.console_login_timeout;
  auto server = std::make_unique<protocol::line_server>(
      io.io(), o, console_handler(std::move(slot)));
  try {
    server->start();
  } catch (const std::exception& e) {
    throw config::config_error(std::string{"console: "} + e.what() +
                               " (set --console.listen=ADDRESS:PORT or off, "
                               "--console.socket=PATH or empty)");
  }
  spdlog::info("console: listening on {}{}", server->bound_address(),
               s.console_password.empty()
                   ? " (no RACECONTROL_CONSOLE_PASSWORD: admin API tokens "
                     "only)"
                   : "");
  return server;
}

/// Sets up CAF's scheduler for a daemon holding thousands of mostly idle
/// rooms. CAF starts at least four workers whatever the cores; and after
/// each job a worker polls 500 times, 50 us apart, before it sleeps, so with
/// rooms waking now and then the workers never sleep: idle CPU grew with the
/// rooms. Each of those 50 us sleeps is a context switch, which on a virtual
/// machine costs more than the work between them (a profile of
/// automation_bench: 10% of racecontrold's CPU in nanosleep alone), so a
/// worker spins briefly and then waits on its condition variable; it is
/// woken when work arrives for it, so this costs no latency.
///
/// By default the workers leave the network threads a CPU of their own:
/// every message between actors on two workers is a cross-thread wake-up,
/// and on two CPUs a second worker only competed with the I/O thread
/// (automation_bench, 1,000 rooms: 1.6 instead of 1.8 ms of CPU per room,
/// 38 instead of 44 sleeps, the same wall time). Returns the workers' count.
std::size_t tune_scheduler(caf::actor_system_config& cfg, std::size_t threads,
                           std::size_t io_threads) {
  // 0: the CPUs this process may use (daemon.cpus, taskset, a cgroup's
  // cpuset), not the machine's, less the I/O threads; at least one.
  if (threads == 0) {
    auto cpus = allowed_cpus().size();
    threads = cpus > io_threads ? cpus - io_threads : 1;
  }
  // No network thread: the lone worker runs the network (prompt_stealing)
  // between jobs, so no actor may keep it for long: after 100 messages an
  // actor yields (CAF's default lets one actor run for as long as its
  // mailbox has messages).
  if (io_threads == 0) {
    threads = 1;
    cfg.set("scheduler.max-throughput", std::size_t{100});
  }
  cfg.set("scheduler.max-threads", threads);
  cfg.set("work-stealing.moderate-poll-attempts", 0);
  // An idle worker wakes after this to steal from the others. A lone worker
  // has nobody to steal from and is woken for its own work, so it sleeps
  // long (automation_bench: idle CPU 0.06% of a core instead of 0.14%).
  auto relaxed = threads == 1 ? std::chrono::milliseconds{1000}
                              : std::chrono::milliseconds{50};
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{relaxed});
  // A worker found asleep is woken without blocking it on the waker's lock
  // (prompt_stealing.hpp).
  use_prompt_stealing(cfg);
  return threads;
}

/// The network side of the daemon; exits the process with a clear line
/// when the racetime.gg settings are unusable.
std::unique_ptr<protocol::io_runtime> make_io(const config::settings& s,
                                              std::size_t io_threads) {
  auto base = protocol::parse_url(s.racetime_url);
  if (!base)
    throw config::config_error("racetime.url: " + base.error().message);
  if (auto discord = protocol::parse_url(s.discord_api_url); !discord)
    throw config::config_error("discord.api_url: " + discord.error().message);
  protocol::io_runtime_options o;
  o.racetime = *base;
  o.extra_ca_file = s.racetime_ca_file;
  o.threads = io_threads;
  o.http.fresh_reuse = s.racetime_post_reuse;
  o.http.max_per_host = s.racetime_max_connections;
  // Every connection a burst opened stays for the next request: with a
  // smaller idle pool each burst closed and reopened the difference.
  o.http.max_idle_per_host =
      std::max(o.http.max_idle_per_host, s.racetime_max_connections);
  return std::make_unique<protocol::io_runtime>(o);
}

int run(const config::settings& s, bool migrate, bool check_only,
        const sigset_t& signals, const protocol::service_notifier& notifier) {
  std::shared_ptr<odb::mysql::database> db;
  std::shared_ptr<const persistence::secret_box> secrets;
  auto migrations = persistence::migration_set::embedded();
  try {
    persistence::database_options opts;
    opts.url = s.database;
    opts.max_connections = s.database_pool_size;
    opts.connect_timeout = s.database_connect_timeout;
    opts.read_timeout = s.database_read_timeout;
    opts.write_timeout = s.database_write_timeout;
    db = persistence::open_database(opts);
    if (auto problem = check_schema(*db, migrations, s, migrate))
      return fail_start(&s, *problem);
    if (auto problem = open_secrets(*db, secrets))
      return fail_start(&s, *problem);
  } catch (const std::exception& e) {
    return fail_start(&s, e.what());
  }
  if (check_only) {
    std::puts("configuration and database OK");
    return 0;
  }
  // Made before the actor system and destroyed after it, so no protocol
  // callback runs into a stopped client.
  std::unique_ptr<protocol::io_runtime> io;
  // Declared after the io_runtime and before the actor system: stopped
  // after the actors, destroyed before the io_context it runs on.
  std::unique_ptr<protocol::http_server> http;
  auto http_slot = std::make_shared<http_api_slot>();
  std::unique_ptr<protocol::line_server> console;
  auto console_slot_ = std::make_shared<console_slot>();
  caf::actor_system_config cfg;
  register_message_types(cfg);
  auto io_threads = config::io_threads_for(s, allowed_cpus().size());
  auto workers = tune_scheduler(cfg, s.worker_threads, io_threads);
  if (io_threads == 0)
    spdlog::info("threads: 1 actor scheduler thread, which also runs the "
                 "network (racetime.io_threads {})",
                 s.io_threads ? "0" : "auto");
  else
    spdlog::info("threads: {} actor scheduler thread(s), {} network "
                 "thread(s)",
                 workers, io_threads);
  if (auto problem = set_up_cluster(s, cfg); !problem.empty())
    return fail_start(&s, problem);
  bool worker = s.role == config::cluster_role::worker;
  try {
    io = make_io(s, io_threads);
    if (worker) {
      spdlog::info("http, console: off on a worker node (its coordinator "
                   "serves them)");
    } else {
      http = start_http(s, *io, http_slot);
      console = start_console(s, *io, console_slot_);
    }
  } catch (const std::exception& e) {
    return fail_start(&s, e.what());
  }
  // Set before the actor system starts its worker; the actor system is
  // destroyed before the io_runtime.
  prompt_stealing::io = io_threads == 0 ? &io->io() : nullptr;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  // What runs before the node starts (this thread's actor, CAF's own) does
  // not count among the actors that must finish.
  auto baseline = sys.registry().running();
  node_options options;
  options.node_name = s.node_name;
  options.shutdown_timeout = s.shutdown_timeout;
  // The console's `shutdown` takes the path of SIGTERM.
  // A weak handle: the components must not keep this thread's actor alive.
  auto stop_node = [main_actor = self->address()] {
    if (auto a = caf::actor_cast<caf::actor>(main_actor))
      caf::anon_send(a, atom::signal::value, SIGTERM);
  };
  // Links point at the address players' browsers use; without
  // link.public_url, the address the HTTP server is bound to.
  auto effective = s;
  if (effective.link_public_url.empty() && http)
    effective.link_public_url =
        (http->uses_tls() ? "https://" : "http://") + http->bound_address();
  if (worker)
    options.components = worker_components(s, db, secrets, &migrations, *io);
  else
    options.components = daemon_components(
        effective, db, secrets, &migrations, *io, http ? http_slot : nullptr,
        console ? console_slot_ : nullptr, stop_node);
  std::string lease_holder; // a coordinator's
  if (s.role == config::cluster_role::coordinator) {
    place_rooms_on_workers(options.components, s);
    lease_holder =
        make_coordinator(s, options.components, *http_slot, *console_slot_);
  }
  auto root = sys.spawn(node, std::move(options));
  auto status = supervise(sys, self, baseline, root, s, signals, notifier);
  if (!lease_holder.empty())
    release_lease(lease_holder, *db);
  if (http)
    http->stop();
  if (console)
    console->stop();
  return status;
}

} // namespace

int main(int argc, char** argv) {
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  config::command_line cli;
  config::settings s;
  std::vector<int> cpus_in_effect;
  try {
    cli = config::parse_command_line(
        std::vector<std::string>(argv + 1, argv + argc),
        {"help", "version", "migrate", "check-config"}, {"config"});
    if (cli.has("help")) {
      std::cout << usage << config::describe_settings();
      return 0;
    }
    if (cli.has("version")) {
      std::cout << "racecontrold " << racecontrol::version << "\n";
      return 0;
    }
    if (!cli.positional.empty())
      throw config::config_error("unexpected argument '" + cli.positional[0] +
                                 "'; --help shows the usage");
    config::settings_sources sources;
    sources.config_file = cli.value("config");
    sources.overrides = cli.overrides;
    sources.getenv = [](const char* name) {
      return std::getenv(name);
    };
    s = config::load_settings(sources);
    cpus_in_effect = apply_cpus(s.cpus); // before the log writer's thread
    // Under systemd, standard error is the journal: it has its own
    // timestamps and reads levels from "<N>" prefixes.
    s.log.format = config::format_for_stderr(s.log.format, s.log.file,
                                             std::getenv("JOURNAL_STREAM"));
    // Every line names the node, so the logs of a cluster read together.
    auto log = s.log;
    log.node = s.node_name;
    config::setup_logging(log, "racecontrold");
  } catch (const std::exception& e) {
    return fail_start(nullptr, e.what());
  }
  spdlog::info("racecontrol {} starting: {}", racecontrol::version,
               config::summarize(s));
  for (const auto& warning : config::settings_warnings(s))
    spdlog::warn("settings: {}", warning);
  if (cpus_in_effect != s.cpus)
    spdlog::warn("daemon.cpus: running on CPUs {} only; the others asked for "
                 "({}) are not available to this process",
                 config::cpu_list(cpus_in_effect), config::cpu_list(s.cpus));
  auto notifier =
      protocol::service_notifier::from_environment([](const char* name) {
        return std::getenv(name);
      });
  if (!notifier)
    return fail_start(&s, notifier.error().message);
  if (notifier->enabled())
    spdlog::info("systemd: notifying {}{}", notifier->socket(),
                 notifier->watchdog_interval()
                     ? " (watchdog ping every " +
                           std::to_string(
                               notifier->watchdog_interval()->count() / 1000) +
                           " ms)"
                     : std::string{});
  raise_open_files_limit();
  int rc =
      run(s, cli.has("migrate"), cli.has("check-config"), signals, *notifier);
  spdlog::info("racecontrold exits with status {}", rc);
  config::shutdown_logging();
  return rc;
}
