#include "protocol/discord_message.hpp"

#include "protocol/json.hpp"

#include <algorithm>
#include <cctype>

namespace racecontrol::protocol {

namespace {

void write_embed(json_writer& w, const discord_embed& e) {
  w.StartObject();
  if (!e.title.empty())
    write_string(w, "title", e.title);
  if (!e.description.empty())
    write_string(w, "description", e.description);
  if (!e.url.empty())
    write_string(w, "url", e.url);
  if (e.color)
    write_int(w, "color", *e.color);
  if (e.timestamp)
    write_time(w, "timestamp", e.timestamp);
  if (!e.fields.empty()) {
    w.Key("fields");
    w.StartArray();
    for (const auto& f : e.fields) {
      w.StartObject();
      write_string(w, "name", f.name);
      write_string(w, "value", f.value);
      write_bool(w, "inline", f.inline_);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!e.footer.empty()) {
    w.Key("footer");
    w.StartObject();
    write_string(w, "text", e.footer);
    w.EndObject();
  }
  w.EndObject();
}

/// A Discord id: 1 to 20 decimal digits.
bool is_snowflake(const std::string& id) {
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

/// Collects "`what` is N characters; Discord takes at most M" problems.
class checker {
 public:
  void length(const std::string& what, const std::string& text,
              std::size_t limit) {
    auto n = discord_length(text);
    if (n > limit)
      problems.push_back(what + " is " + std::to_string(n) +
                         " characters; Discord takes at most " +
                         std::to_string(limit));
  }

  void count(const std::string& what, std::size_t n, std::size_t limit) {
    if (n > limit)
      problems.push_back("the message has " + std::to_string(n) + " " + what +
                         "; Discord takes at most " + std::to_string(limit));
  }

  void embed(const discord_embed& e, std::size_t index) {
    auto at = "embed " + std::to_string(index + 1);
    length(at + "'s title", e.title, discord_limits::embed_title);
    length(at + "'s description", e.description,
           discord_limits::embed_description);
    length(at + "'s footer", e.footer, discord_limits::footer_text);
    if (!e.url.empty() && e.url.rfind("http://", 0) != 0 &&
        e.url.rfind("https://", 0) != 0)
      problems.push_back(at + "'s url \"" + e.url +
                         "\" is not an http(s) URL; Discord refuses it");
    if (e.fields.size() > discord_limits::embed_fields)
      problems.push_back(at + " has " + std::to_string(e.fields.size()) +
                         " fields; Discord takes at most " +
                         std::to_string(discord_limits::embed_fields));
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
      auto field = at + "'s field " + std::to_string(i + 1);
      const auto& f = e.fields[i];
      if (f.name.empty())
        problems.push_back(field + " has no name; Discord requires one");
      if (f.value.empty())
        problems.push_back(field + " has no value; Discord requires one");
      length(field + "'s name", f.name, discord_limits::field_name);
      length(field + "'s value", f.value, discord_limits::field_value);
    }
  }

  std::vector<std::string> problems;
};

std::size_t embed_characters(const discord_embed& e) {
  auto n = discord_length(e.title) + discord_length(e.description) +
           discord_length(e.footer);
  for (const auto& f : e.fields)
    n += discord_length(f.name) + discord_length(f.value);
  return n;
}

} // namespace

std::size_t discord_length(std::string_view utf8) {
  // Every byte but a continuation byte (10xxxxxx) starts a code point.
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

namespace {

/// The first `n` characters of `utf8` (all of it when shorter).
std::string_view first_characters(std::string_view utf8, std::size_t n) {
  std::size_t at = 0;
  for (std::size_t chars = 0; at < utf8.size(); ++at) {
    bool starts = (static_cast<unsigned char>(utf8[at]) & 0xC0) != 0x80;
    if (starts && chars++ == n)
      break;
  }
  return utf8.substr(0, at);
}

} // namespace

std::string clipped(std::string_view utf8, std::size_t limit,
                    std::string_view tail) {
  if (discord_length(utf8) <= limit)
    return std::string{utf8};
  auto keep = limit > discord_length(tail) ? limit - discord_length(tail) : 0;
  return std::string{first_characters(utf8, keep)} +
         std::string{first_characters(tail, limit - keep)};
}

void fit_to_limits(discord_message& m) {
  m.content = clipped(m.content, discord_limits::content);
  if (m.embeds.size() > discord_limits::embeds)
    m.embeds.resize(discord_limits::embeds);
  std::size_t total = 0;
  for (auto& e : m.embeds) {
    e.title = clipped(e.title, discord_limits::embed_title);
    e.description =
        clipped(e.description, discord_limits::embed_description, "\n...");
    e.footer = clipped(e.footer, discord_limits::footer_text);
    if (e.fields.size() > discord_limits::embed_fields)
      e.fields.resize(discord_limits::embed_fields);
    for (auto& f : e.fields) {
      f.name = clipped(f.name, discord_limits::field_name);
      f.value = clipped(f.value, discord_limits::field_value);
    }
    total += embed_characters(e);
  }
  // Over the total: the descriptions give way, the last embed's first,
  // then fields from the end, then footers (ten titles alone fit).
  auto over = [&] {
    return total > discord_limits::embeds_total;
  };
  auto shrink = [&](std::string& text, const char* tail) {
    auto had = discord_length(text);
    auto excess = total - discord_limits::embeds_total;
    text = clipped(text, had > excess ? had - excess : 0, tail);
    total = total - had + discord_length(text);
  };
  for (auto e = m.embeds.rbegin(); e != m.embeds.rend() && over(); ++e)
    shrink(e->description, "\n...");
  for (auto e = m.embeds.rbegin(); e != m.embeds.rend() && over(); ++e)
    while (!e->fields.empty() && over()) {
      total -= discord_length(e->fields.back().name) +
               discord_length(e->fields.back().value);
      e->fields.pop_back();
    }
  for (auto e = m.embeds.rbegin(); e != m.embeds.rend() && over(); ++e)
    shrink(e->footer, "...");
  std::vector<std::string> users;
  for (auto& id : m.mention_users)
    if (users.size() < discord_limits::mentioned_users &&
        std::find(users.begin(), users.end(), id) == users.end())
      users.push_back(std::move(id));
  m.mention_users = std::move(users);
}

std::string to_json(const discord_message& m) {
  return json_text([&](json_writer& w) {
    w.StartObject();
    if (!m.content.empty())
      write_string(w, "content", m.content);
    if (!m.embeds.empty()) {
      w.Key("embeds");
      w.StartArray();
      for (const auto& e : m.embeds)
        write_embed(w, e);
      w.EndArray();
    }
    w.Key("allowed_mentions");
    w.StartObject();
    w.Key("parse");
    w.StartArray();
    w.EndArray();
    w.Key("users");
    w.StartArray();
    for (const auto& id : m.mention_users)
      w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
    w.EndArray();
    w.EndObject();
    if (!m.nonce.empty()) {
      write_string(w, "nonce", m.nonce);
      write_bool(w, "enforce_nonce", m.enforce_nonce);
    }
    w.EndObject();
  });
}

std::vector<std::string> validate(const discord_message& m) {
  checker check;
  if (m.content.empty() && m.embeds.empty())
    check.problems.push_back(
        "the message has neither content nor an embed; Discord refuses an "
        "empty message");
  check.length("the content", m.content, discord_limits::content);
  check.count("embeds", m.embeds.size(), discord_limits::embeds);
  std::size_t total = 0;
  for (std::size_t i = 0; i < m.embeds.size(); ++i) {
    check.embed(m.embeds[i], i);
    total += embed_characters(m.embeds[i]);
  }
  if (total > discord_limits::embeds_total)
    check.problems.push_back(
        "the embeds have " + std::to_string(total) +
        " characters together (titles, descriptions, fields, footers); "
        "Discord takes at most " +
        std::to_string(discord_limits::embeds_total));
  check.length("the nonce", m.nonce, discord_limits::nonce);
  check.count("users to mention", m.mention_users.size(),
              discord_limits::mentioned_users);
  for (const auto& id : m.mention_users)
    if (!is_snowflake(id))
      check.problems.push_back("the user to mention \"" + id +
                               "\" is not a Discord id (digits only)");
  return std::move(check.problems);
}

} // namespace racecontrol::protocol
