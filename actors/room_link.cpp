#include "actors/room_link.hpp"

#include "actors/race_room.hpp"

#include "protocol/metrics_registry.hpp"
#include "protocol/websocket_session.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace racecontrol {

namespace {

/// The daemon's link: HTTP on the shared client, the bot socket as a
/// protocol::websocket_session. Callbacks run on io threads and only send
/// messages to the owner through a weak handle.
class racetime_room_link : public room_link {
 public:
  racetime_room_link(protocol::io_runtime& io, caf::actor_addr owner,
                     std::shared_ptr<protocol::token_source> tokens,
                     protocol::websocket_options socket)
      : io_(io), owner_(caf::actor_cast<caf::weak_actor_ptr>(owner)),
        tokens_(std::move(tokens)), socket_(std::move(socket)) {}

  ~racetime_room_link() override { close(); }

  void fetch(const std::string& race_name) override {
    protocol::http_request req;
    req.target = protocol::with_path(io_.racetime(), "/" + race_name + "/data");
    auto owner = owner_;
    io_.http().request(std::move(req), [owner,
                                        race_name](protocol::http_outcome out) {
      auto room = caf::actor_cast<race_room_actor>(owner);
      if (!room)
        return;
      if (!out) {
        caf::anon_send(room, atom::fetched::value,
                       fetch_failure{false, "cannot fetch race " + race_name +
                                                ": " + out.error().message});
        return;
      }
      if (auto bad = protocol::status_error(*out)) {
        bool gone = bad->what == protocol::http_error::kind::not_found;
        caf::anon_send(
            room, atom::fetched::value,
            fetch_failure{
                gone, gone ? "racetime.gg has no race " + race_name + " (404)"
                           : "fetching race " + race_name + " failed: HTTP " +
                                 std::to_string(bad->status)});
        return;
      }
      auto race = protocol::decode_race_document(out->body);
      if (race)
        caf::anon_send(room, atom::fetched::value, std::move(*race));
      else
        caf::anon_send(room, atom::fetched::value,
                       fetch_failure{false, "race " + race_name +
                                                ": unreadable data: " +
                                                race.error().what()});
    });
  }

  void connect(const std::string& slug) override {
    if (session_)
      return;
    auto owner = owner_;
    auto tell = [owner](auto... xs) {
      if (auto room = caf::actor_cast<race_room_actor>(owner))
        caf::anon_send(room, xs...);
    };
    protocol::websocket_handlers h;
    h.on_open = [tell] {
      tell(atom::socket::value, socket_event{socket_event::kind::opened, ""});
    };
    h.on_message = [tell](std::string text) {
      if (room_reads(text))
        tell(atom::frame::value, std::move(text));
    };
    h.on_disconnect = [tell](const std::string& reason,
                             std::chrono::milliseconds retry_in) {
      protocol::metrics().add(protocol::metric::websocket_reconnects);
      tell(atom::socket::value,
           socket_event{socket_event::kind::lost,
                        reason + "; reconnecting in " +
                            std::to_string(retry_in.count()) + " ms"});
    };
    h.on_dropped = [tell](const protocol::dropped_frame& d) {
      tell(atom::socket::value,
           socket_event{socket_event::kind::dropped,
                        d.message + ": " + d.text.substr(0, 200)});
    };
    session_ = std::make_unique<protocol::websocket_session>(
        io_.io(), io_.tls(), io_.bot_socket(slug), tokens_, std::move(h),
        socket_);
    session_->start();
  }

  void send(std::string frame) override {
    if (session_)
      return session_->send(std::move(frame));
    // Never silently: the room logs what could not be sent.
    if (auto room = caf::actor_cast<race_room_actor>(owner_))
      caf::anon_send(
          room, atom::socket::value,
          socket_event{socket_event::kind::dropped,
                       "no bot socket yet: " + frame.substr(0, 200)});
  }

  void close() override {
    if (session_) {
      session_->stop();
      session_.reset();
    }
  }

 private:
  protocol::io_runtime& io_;
  caf::weak_actor_ptr owner_;
  std::shared_ptr<protocol::token_source> tokens_;
  protocol::websocket_options socket_;
  std::unique_ptr<protocol::websocket_session> session_;
};

} // namespace

room_link_factory racetime_links(protocol::io_runtime& io,
                                 protocol::websocket_options socket) {
  return [&io, socket](caf::actor_addr owner, const room_record&,
                       std::shared_ptr<protocol::token_source> tokens) {
    return std::make_unique<racetime_room_link>(io, std::move(owner),
                                                std::move(tokens), socket);
  };
}

} // namespace racecontrol
