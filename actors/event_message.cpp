#include "actors/event_message.hpp"

#include "protocol/json.hpp"
#include "protocol/json_error.hpp"

#include <chrono>

namespace racecontrol {

namespace {

using protocol::discord_embed;
using protocol::discord_message;
using protocol::json_object;

constexpr std::uint32_t green = 0x2ecc71;
constexpr std::uint32_t blue = 0x3498db;
constexpr std::uint32_t orange = 0xe67e22;
constexpr std::uint32_t grey = 0x95a5a6;

struct player {
  std::string name;
  std::string discord_id;
};

std::vector<player> players_of(const json_object& d, const char* key) {
  std::vector<player> out;
  if (!d.has(key))
    return out;
  const auto& list = d.array(key);
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    json_object p{list[i], d.path_of(key)};
    out.push_back({p.optional_string("name").value_or("?"),
                   p.optional_string("discord_id").value_or("")});
  }
  return out;
}

/// "<@id>" for a player with a Discord id (and lists them as pingable),
/// the name otherwise.
std::string mention(discord_message& m, const player& p) {
  if (p.discord_id.empty())
    return p.name;
  m.mention_users.push_back(p.discord_id);
  return "<@" + p.discord_id + ">";
}

/// `parts` joined by `separator`, as many as fit in `limit` characters
/// with a note of how many more there were: a long player list or result
/// list is shortened at a whole entry (never inside a mention).
std::string joined_within(const std::vector<std::string>& parts,
                          const std::string& separator, std::size_t limit) {
  using protocol::discord_length;
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto gap = out.empty() ? std::string{} : separator;
    auto grown = chars + discord_length(gap) + discord_length(parts[i]);
    // Room for this one, and for the note if others follow.
    auto note =
        separator + "and " + std::to_string(parts.size() - i - 1) + " more";
    if (grown + (i + 1 < parts.size() ? discord_length(note) : 0) > limit)
      return out + gap + "and " + std::to_string(parts.size() - i) + " more";
    out += gap + parts[i];
    chars = grown;
  }
  return out;
}

std::string room_url(const json_object& d, const std::string& base) {
  auto slug = d.optional_string("slug");
  return slug ? base + "/" + *slug : std::string{};
}

void room_opened(discord_message& m, const json_object& d,
                 const std::string& base, bool manual) {
  auto url = room_url(d, base);
  auto tournament = d.optional_string("tournament").value_or("Tournament");
  std::vector<std::string> mentions;
  for (const auto& p : players_of(d, "players"))
    mentions.push_back(mention(m, p));
  m.content =
      "Race room open" + std::string{manual ? "ed by hand" : ""} + ": " + url;
  if (!mentions.empty())
    m.content +=
        " - " + joined_within(mentions, " ",
                              protocol::discord_limits::content -
                                  protocol::discord_length(m.content) - 3);
  auto who =
      joined_within(mentions, " ", protocol::discord_limits::field_value);
  discord_embed e;
  e.title = tournament + ": race room open";
  e.url = url;
  e.color = green;
  if (auto goal = d.optional_string("goal"))
    e.fields.push_back({"Goal", *goal, true});
  if (auto at = d.optional_time("scheduled_at")) {
    auto unix =
        std::chrono::duration_cast<std::chrono::seconds>(at->time_since_epoch())
            .count();
    e.fields.push_back(
        {"Scheduled", "<t:" + std::to_string(unix) + ":F>", true});
  }
  if (!who.empty())
    e.fields.push_back({"Players", who, false});
  if (manual)
    if (auto by = d.optional_string("requested_by"))
      e.footer = "Opened by " + *by;
  m.embeds.push_back(std::move(e));
}

void race_finished(discord_message& m, const json_object& d,
                   const std::string& base) {
  auto url = room_url(d, base);
  std::vector<std::string> lines;
  if (d.has("results")) {
    const auto& list = d.array("results");
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      json_object r{list[i], "results"};
      player p{r.optional_string("name").value_or("?"),
               r.optional_string("discord_id").value_or("")};
      auto place = r.optional_integer("place");
      auto time = r.optional_string("finish_time");
      auto status = r.optional_string("status").value_or("");
      lines.push_back(
          (place ? std::to_string(*place) + ". " : std::string{"- "}) +
          mention(m, p) +
          (time             ? " " + *time
           : status.empty() ? std::string{}
                            : " (" + status + ")"));
    }
  }
  m.content = "Race finished: " + url;
  discord_embed e;
  e.title = "Results";
  e.url = url;
  e.color = blue;
  e.description =
      lines.empty()
          ? "No results were recorded."
          : joined_within(lines, "\n",
                          protocol::discord_limits::embed_description);
  m.embeds.push_back(std::move(e));
}

void render_details(discord_message& m, const std::string& event,
                    const json_object& d, const std::string& base) {
  if (event == "room_created" || event == "room_opened_manually") {
    room_opened(m, d, base, event == "room_opened_manually");
  } else if (event == "race_finished") {
    race_finished(m, d, base);
  } else if (event == "race_result_changed") {
    race_finished(m, d, base);
    m.content = "Result changed: " + room_url(d, base);
    m.embeds.back().title = "Results (changed)";
    m.embeds.back().color = orange;
    m.embeds.back().footer = "racetime.gg changed the result after the race "
                             "ended (a disqualification, say); these results "
                             "replace the ones posted before.";
  } else if (event == "race_started") {
    m.content = "Race started: " + room_url(d, base);
  } else if (event == "race_reopened") {
    // From a cancellation (a forfeit undone) nothing was posted to take back.
    bool cancelled = d.optional_string("from").value_or("") == "cancelled";
    m.content = "Race reopened: " + room_url(d, base);
    discord_embed e;
    e.title = cancelled ? "Cancellation undone" : "Result withdrawn";
    e.url = room_url(d, base);
    e.color = orange;
    e.description =
        cancelled ? "A forfeit was undone on racetime.gg after the race was "
                    "cancelled, so the race is running again. Its result "
                    "follows when it finishes."
                  : "A finish was undone on racetime.gg, so the race is "
                    "running again and the result posted before no longer "
                    "stands. The new result follows when the race finishes.";
    m.embeds.push_back(std::move(e));
  } else if (event == "race_cancelled") {
    m.content = "Race cancelled: " + room_url(d, base);
    discord_embed e;
    e.title = "Race cancelled";
    e.url = room_url(d, base);
    e.color = grey;
    e.description = d.optional_string("reason").value_or("");
    m.embeds.push_back(std::move(e));
  } else if (event == "room_not_opened") {
    auto match = d.optional_integer("match_id");
    m.content = "The race room of match " +
                (match ? std::to_string(*match) : std::string{"?"}) +
                " was not opened";
    discord_embed e;
    e.title = "Room not opened (" +
              d.optional_string("code").value_or("unknown") + ")";
    e.color = orange;
    e.description = d.optional_string("message").value_or("");
    m.embeds.push_back(std::move(e));
  } else if (event == "bot_auth_failed" || event == "bot_recovered") {
    auto bot = d.optional_string("bot").value_or("?") + " (" +
               d.optional_string("category").value_or("?") + ")";
    bool failed = event == "bot_auth_failed";
    m.content = failed ? "racetime.gg refused the bot " + bot +
                             ": rooms cannot be opened until it is fixed"
                       : "The bot " + bot + " is connected again";
    if (failed) {
      discord_embed e;
      e.title = "Bot refused";
      e.color = orange;
      e.description = d.optional_string("message").value_or("");
      m.embeds.push_back(std::move(e));
    }
  } else {
    m.content = "racecontrol: " + event;
  }
}

} // namespace

protocol::discord_message render_event(const persistence::outbox_item& item,
                                       const std::string& racetime_base) {
  discord_message m;
  m.nonce = item.nonce;
  m.enforce_nonce = true;
  try {
    auto doc = protocol::parse_json(item.details_json);
    render_details(m, item.event, json_object{doc, "details"}, racetime_base);
  } catch (const protocol::json_error& e) {
    m = discord_message{};
    m.nonce = item.nonce;
    m.content = "racecontrol: " + item.event +
                " (its details could not be "
                "read: " +
                std::string{e.what()} + ")";
  }
  // Longer than Discord takes (a tournament's long name, a goal, a reason):
  // cut, never refused for good.
  protocol::fit_to_limits(m);
  return m;
}

} // namespace racecontrol
