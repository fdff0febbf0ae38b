#pragma once

// A message racecontrol posts to a Discord channel (POST
// /channels/{id}/messages): content, rich embeds, whom it may ping, and the
// nonce that lets Discord drop a repeat. Serialized to Discord's JSON;
// validate() names everything Discord would refuse, before it is sent.

#include "protocol/iso8601.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::protocol {

/// Discord's limits on a created message, in characters (Unicode code
/// points, not bytes: a player's name in Japanese counts once per letter).
namespace discord_limits {
constexpr std::size_t content = 2000;
constexpr std::size_t embeds = 10;
constexpr std::size_t embed_title = 256;
constexpr std::size_t embed_description = 4096;
constexpr std::size_t embed_fields = 25;
constexpr std::size_t field_name = 256;
constexpr std::size_t field_value = 1024;
constexpr std::size_t footer_text = 2048;
/// Titles, descriptions, field names and values and footers of all the
/// message's embeds together.
constexpr std::size_t embeds_total = 6000;
constexpr std::size_t nonce = 25;
constexpr std::size_t mentioned_users = 100;
} // namespace discord_limits

struct discord_embed_field {
  std::string name;  ///< required by Discord, at most 256 characters
  std::string value; ///< required by Discord, at most 1024 characters
  bool inline_ = false;
};

struct discord_embed {
  std::string title;       ///< "" leaves it out
  std::string description; ///< "" leaves it out
  std::string url;         ///< the title's link (http or https); "": none
  std::optional<std::uint32_t> color; ///< 0xRRGGBB
  std::optional<time_point> timestamp;
  std::vector<discord_embed_field> fields;
  std::string footer; ///< footer.text; "": no footer
};

struct discord_message {
  std::string content; ///< "" leaves it out (then an embed is needed)
  std::vector<discord_embed> embeds;
  /// The only users this message may ping (allowed_mentions.users); every
  /// other mention in it (@everyone, roles, other users) stays silent:
  /// allowed_mentions.parse is always empty.
  std::vector<std::string> mention_users;
  /// At most 25 characters; with enforce_nonce, Discord answers a second
  /// message with the same nonce (same author, within a few minutes) with
  /// the first one instead of creating another.
  std::string nonce;
  bool enforce_nonce = true;
};

/// Characters as Discord counts them: Unicode code points of UTF-8 text.
std::size_t discord_length(std::string_view utf8);

/// `utf8` cut to at most `limit` characters, at a character boundary (a
/// cut inside one would make the body invalid UTF-8, which Discord
/// refuses), ending in `tail` when it was cut.
std::string clipped(std::string_view utf8, std::size_t limit,
                    std::string_view tail = "...");

/// Cuts every part of `message` to Discord's limits (content, titles,
/// descriptions, fields, footers, the embeds' total; at most 100 distinct
/// users to mention), so that a message too long is posted shortened rather
/// than refused for good.
void fit_to_limits(discord_message& message);

/// Discord's JSON body for POST /channels/{id}/messages.
std::string to_json(const discord_message& message);

/// Everything Discord would refuse (lengths, counts, missing parts), one
/// message per problem naming the part and the limit; empty when Discord
/// takes it.
std::vector<std::string> validate(const discord_message& message);

} // namespace racecontrol::protocol
