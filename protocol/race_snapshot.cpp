#include "protocol/race_snapshot.hpp"

#include "protocol/iso8601.hpp"

// RapidJSON's SSE2 scanners (strings, whitespace; SSE2 is part of x86-64)
// take an eighth off this reader's instructions (callgrind on
// room_path_bench). They are compiled in a namespace of this file's own, so
// the rest of the program keeps RapidJSON as it is built there (no two
// different definitions of one RapidJSON class); so no header included
// above may include RapidJSON.
#ifdef RAPIDJSON_RAPIDJSON_H_
#  error "race_snapshot.cpp must include RapidJSON only here (see above)"
#endif
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#  define RAPIDJSON_SSE2
#endif
#define RAPIDJSON_NAMESPACE racecontrol_snapshot_rapidjson
#define RAPIDJSON_NAMESPACE_BEGIN namespace racecontrol_snapshot_rapidjson {
#define RAPIDJSON_NAMESPACE_END }
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstring>
#include <limits>

namespace racecontrol::protocol {

namespace {

namespace rapidjson = ::racecontrol_snapshot_rapidjson;

// --- what the decoder keeps -------------------------------------------------

/// Where the reader is: the objects and the one array whose members the
/// snapshot keeps. Everything else is read past and not kept.
enum class context : std::uint8_t {
  frame,          ///< {"type": ..., "race": {...}}
  race,           ///< Race.as_dict
  race_status,    ///< race.status
  goal,           ///< race.goal
  entrants,       ///< race.entrants (the array)
  entrant,        ///< race.entrants[i]
  user,           ///< race.entrants[i].user
  entrant_status, ///< race.entrants[i].status
};

/// A member the snapshot keeps, named by where it goes.
enum class slot : std::uint8_t {
  none, ///< not kept: skip the value
  frame_type,
  frame_race,
  race_version,
  race_name,
  race_status,
  race_goal,
  race_info_bot,
  race_entrants,
  race_opened_at,
  race_started_at,
  race_ended_at,
  race_cancelled_at,
  status_value,
  goal_name,
  entrant_user,
  entrant_status,
  entrant_finish_time,
  entrant_place,
  user_id,
  user_full_name,
};

/// Length, first and last character: tells the members of one object
/// apart in one comparison, before memcmp confirms (Key runs for every
/// member of every object the decoder enters).
constexpr std::uint32_t signature(const char* s, std::size_t n) {
  return n == 0
             ? 0
             : static_cast<std::uint32_t>(n) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(s[0]))
                       << 16 |
                   static_cast<std::uint32_t>(
                       static_cast<unsigned char>(s[n - 1]))
                       << 24;
}

struct member {
  constexpr member(std::string_view k, slot w, bool r)
      : key(k), what(w), required(r), sig(signature(k.data(), k.size())) {}

  std::string_view key;
  slot what;
  bool required;
  std::uint32_t sig;
};

// In the order race_data.cpp reads them, so a document missing several
// members names the same one first.
constexpr member frame_members[] = {{"type", slot::frame_type, true},
                                    {"race", slot::frame_race, true}};
constexpr member race_members[] = {
    {"version", slot::race_version, true},
    {"name", slot::race_name, true},
    {"status", slot::race_status, true},
    {"goal", slot::race_goal, true},
    {"info_bot", slot::race_info_bot, false},
    {"entrants", slot::race_entrants, true},
    {"opened_at", slot::race_opened_at, false},
    {"started_at", slot::race_started_at, false},
    {"ended_at", slot::race_ended_at, false},
    {"cancelled_at", slot::race_cancelled_at, false},
};
constexpr member status_members[] = {{"value", slot::status_value, true}};
constexpr member goal_members[] = {{"name", slot::goal_name, true}};
constexpr member entrant_members[] = {
    {"user", slot::entrant_user, true},
    {"status", slot::entrant_status, true},
    {"finish_time", slot::entrant_finish_time, false},
    {"place", slot::entrant_place, false},
};
constexpr member user_members[] = {{"id", slot::user_id, true},
                                   {"full_name", slot::user_full_name, true}};

struct member_list {
  const member* begin;
  std::size_t size;
};

template <std::size_t N>
constexpr member_list list_of(const member (&m)[N]) {
  static_assert(N <= 16, "seen bits are 16 wide");
  return {m, N};
}

constexpr member_list members_of(context c) {
  switch (c) {
    case context::frame:
      return list_of(frame_members);
    case context::race:
      return list_of(race_members);
    case context::race_status:
    case context::entrant_status:
      return list_of(status_members);
    case context::goal:
      return list_of(goal_members);
    case context::entrant:
      return list_of(entrant_members);
    case context::user:
      return list_of(user_members);
    case context::entrants:
      break;
  }
  return {nullptr, 0};
}

/// What a slot holds, for "expected ..., got ..." messages.
const char* wanted(slot s) {
  switch (s) {
    case slot::frame_race:
    case slot::race_status:
    case slot::race_goal:
    case slot::entrant_user:
    case slot::entrant_status:
      return "an object";
    case slot::race_entrants:
      return "an array";
    case slot::race_version:
    case slot::entrant_place:
      return "a whole number";
    default:
      return "a string";
  }
}

// --- the SAX handler --------------------------------------------------------

/// Receives RapidJSON's events and keeps what the snapshot needs. It knows
/// where it is from a small stack of contexts (the snapshot nests at most
/// five deep); a value it does not keep is skipped by counting brackets,
/// however deep it goes. A duplicate member is skipped too: the first one
/// counts, as with RapidJSON's FindMember in the full parser. On the first
/// error it records a message naming the member and stops the reader.
class snapshot_handler {
 public:
  snapshot_handler(context root, race_snapshot& out,
                   std::vector<entrant_snapshot>& entrants)
      : root_(root), out_(out), entrants_(entrants) {}

  const std::string& error() const noexcept { return error_; }

  bool Null() {
    if (skipping())
      return true;
    if (!in_object())
      return unexpected("null");
    switch (take()) {
      case slot::none:
      case slot::race_info_bot:
      case slot::race_opened_at:
      case slot::race_started_at:
      case slot::race_ended_at:
      case slot::race_cancelled_at:
      case slot::entrant_finish_time:
      case slot::entrant_place:
        return true; // optional: null reads as absent
      default:
        return mismatch("null");
    }
  }

  bool Bool(bool) { return scalar("a boolean"); }
  bool Int(int i) { return integer(i < 0, magnitude(i)); }
  bool Uint(unsigned u) { return integer(false, u); }
  bool Int64(std::int64_t i) { return integer(i < 0, magnitude(i)); }
  bool Uint64(std::uint64_t u) { return integer(false, u); }
  bool Double(double) { return scalar("a number"); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) {
    return scalar("a number");
  }

  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (skipping())
      return true;
    if (!in_object())
      return unexpected("a string");
    std::string_view text{s, n};
    switch (take()) {
      case slot::none:
        return true;
      case slot::frame_type:
        if (text != "race.data")
          return fail("type: expected \"race.data\", got \"" +
                      std::string{text.substr(0, 64)} + "\"");
        return true;
      case slot::race_name:
        out_.name.assign(text);
        return true;
      case slot::race_info_bot:
        out_.info_bot.assign(text);
        return true;
      case slot::status_value:
        (top().where == context::race_status ? out_.status
                                             : entrants_.back().status)
            .assign(text);
        return true;
      case slot::goal_name:
        out_.goal.assign(text);
        return true;
      case slot::user_id:
        entrants_.back().user_id.assign(text);
        return true;
      case slot::user_full_name:
        entrants_.back().user_name.assign(text);
        return true;
      case slot::race_opened_at:
        return time(text, out_.opened_at);
      case slot::race_started_at:
        return time(text, out_.started_at);
      case slot::race_ended_at:
        return time(text, out_.ended_at);
      case slot::race_cancelled_at:
        return time(text, out_.cancelled_at);
      case slot::entrant_finish_time:
        return duration(text, entrants_.back().finish_time);
      default:
        return mismatch("a string");
    }
  }

  bool StartObject() {
    if (skipping())
      return ++skip_, true;
    if (depth_ == 0)
      return enter(root_);
    if (top().where == context::entrants) {
      entrants_.emplace_back();
      return enter(context::entrant);
    }
    switch (take()) {
      case slot::none:
        return skip_ = 1, true;
      case slot::frame_race:
        return enter(context::race);
      case slot::race_status:
        return enter(context::race_status);
      case slot::race_goal:
        return enter(context::goal);
      case slot::entrant_user:
        return enter(context::user);
      case slot::entrant_status:
        return enter(context::entrant_status);
      default:
        return mismatch("an object");
    }
  }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (skipping())
      return true;
    auto& level = top();
    auto list = members_of(level.where);
    pending_ = slot::none;
    const auto sig = signature(s, n);
    for (std::size_t i = 0; i < list.size; ++i) {
      const auto& m = list.begin[i];
      if (m.sig == sig && std::memcmp(m.key.data(), s, n) == 0) {
        const auto bit = static_cast<std::uint16_t>(1u << i);
        if ((level.seen & bit) == 0) { // a duplicate is skipped
          level.seen |= bit;
          pending_ = m.what;
          pending_index_ = static_cast<std::uint8_t>(i);
        }
        break;
      }
    }
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    if (skipping())
      return --skip_, true;
    const auto& level = top();
    auto list = members_of(level.where);
    for (std::size_t i = 0; i < list.size; ++i)
      if (list.begin[i].required && (level.seen & (1u << i)) == 0)
        return fail(path_of(list.begin[i].key) + ": missing");
    --depth_;
    return true;
  }

  bool StartArray() {
    if (skipping())
      return ++skip_, true;
    if (!in_object())
      return unexpected("an array");
    switch (take()) {
      case slot::none:
        return skip_ = 1, true;
      case slot::race_entrants:
        return enter(context::entrants);
      default:
        return mismatch("an array");
    }
  }

  bool EndArray(rapidjson::SizeType) {
    if (skipping())
      return --skip_, true;
    --depth_; // only race.entrants is entered
    return true;
  }

 private:
  struct level {
    context where;
    std::uint16_t seen;
  };

  static std::uint64_t magnitude(std::int64_t i) {
    // -INT64_MIN does not fit an int64; its magnitude fits a uint64.
    return i < 0 ? ~static_cast<std::uint64_t>(i) + 1
                 : static_cast<std::uint64_t>(i);
  }

  bool skipping() const noexcept { return skip_ != 0; }
  level& top() noexcept { return levels_[depth_ - 1]; }

  /// False at the root and inside race.entrants, where a value is not a
  /// member's.
  bool in_object() const noexcept {
    return depth_ != 0 && levels_[depth_ - 1].where != context::entrants;
  }

  slot take() noexcept {
    auto s = pending_;
    pending_ = slot::none;
    return s;
  }

  bool enter(context c) {
    // Known contexts nest at most five deep (frame, race, entrants,
    // entrant, user or status); nothing else is entered.
    levels_[depth_++] = {c, 0};
    return true;
  }

  bool scalar(const char* got) {
    if (skipping())
      return true;
    if (!in_object())
      return unexpected(got);
    if (take() == slot::none)
      return true;
    return mismatch(got);
  }

  bool integer(bool negative, std::uint64_t magnitude) {
    if (skipping())
      return true;
    if (!in_object())
      return unexpected("a number");
    const auto s = take();
    if (s == slot::race_version) {
      if (negative || magnitude > std::numeric_limits<std::uint32_t>::max())
        return out_of_range(negative, magnitude, "0 to 4294967295");
      out_.version = static_cast<std::uint32_t>(magnitude);
      return true;
    }
    if (s == slot::entrant_place) {
      constexpr std::uint64_t max = std::numeric_limits<std::int32_t>::max();
      if (magnitude > max + (negative ? 1 : 0))
        return out_of_range(negative, magnitude, "-2147483648 to 2147483647");
      entrants_.back().place = static_cast<std::int32_t>(
          negative ? -static_cast<std::int64_t>(magnitude)
                   : static_cast<std::int64_t>(magnitude));
      return true;
    }
    if (s == slot::none)
      return true;
    return mismatch("a number");
  }

  bool time(std::string_view text, std::optional<std::int64_t>& into) {
    auto t = parse_iso8601_time(text);
    if (!t)
      return fail(path_of(key_of_last()) + ": '" +
                  std::string{text.substr(0, 64)} +
                  "' is not an ISO-8601 date-time");
    into = std::chrono::duration_cast<std::chrono::microseconds>(
               t->time_since_epoch())
               .count();
    return true;
  }

  bool duration(std::string_view text,
                std::optional<std::chrono::microseconds>& into) {
    into = parse_iso8601_duration(text);
    if (!into)
      return fail(path_of(key_of_last()) + ": '" +
                  std::string{text.substr(0, 64)} +
                  "' is not an ISO-8601 duration");
    return true;
  }

  std::string_view key_of_last() const {
    return members_of(levels_[depth_ - 1].where).begin[pending_index_].key;
  }

  /// The member just read had a value of the wrong type.
  bool mismatch(const char* got) {
    auto m = members_of(top().where).begin[pending_index_];
    return fail(path_of(m.key) + ": expected " + wanted(m.what) + ", got " +
                got);
  }

  /// A value where an object must be: the document itself or an entrant.
  bool unexpected(const char* got) {
    if (depth_ == 0)
      return fail(std::string{"document: expected an object, got "} + got);
    return fail(path() + "[" + std::to_string(entrants_.size()) +
                "]: expected an object, got " + got);
  }

  bool out_of_range(bool negative, std::uint64_t magnitude, const char* range) {
    return fail(path_of(key_of_last()) + ": " + (negative ? "-" : "") +
                std::to_string(magnitude) + " is out of range (" + range + ")");
  }

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  /// "race.entrants[2].user" for the innermost context ("" at the root).
  std::string path() const {
    std::string p;
    for (std::size_t i = 1; i < depth_; ++i) {
      switch (levels_[i].where) {
        case context::race:
          p += "race";
          break;
        case context::race_status:
        case context::entrant_status:
          p += p.empty() ? "status" : ".status";
          break;
        case context::goal:
          p += p.empty() ? "goal" : ".goal";
          break;
        case context::entrants:
          p += p.empty() ? "entrants" : ".entrants";
          break;
        case context::entrant:
          p += "[" + std::to_string(entrants_.size() - 1) + "]";
          break;
        case context::user:
          p += ".user";
          break;
        case context::frame:
          break;
      }
    }
    return p;
  }

  std::string path_of(std::string_view key) const {
    auto p = path();
    if (!p.empty())
      p += '.';
    return p.append(key);
  }

  context root_;
  race_snapshot& out_;
  std::vector<entrant_snapshot>& entrants_;
  std::array<level, 8> levels_{};
  std::size_t depth_ = 0;
  std::size_t skip_ = 0; ///< open brackets of a value being skipped
  slot pending_ = slot::none;
  std::uint8_t pending_index_ = 0; ///< the pending member's index
  std::string error_;
};

// --- classify_frame ---------------------------------------------------------

constexpr std::pair<std::string_view, frame_kind> frame_kinds[] = {
    {"race.data", frame_kind::race_data},
    {"race.renders", frame_kind::race_renders},
    {"chat.message", frame_kind::chat_message},
    {"chat.history", frame_kind::chat_history},
    {"chat.dm", frame_kind::chat_dm},
    {"chat.pin", frame_kind::chat_pin},
    {"chat.unpin", frame_kind::chat_unpin},
    {"error", frame_kind::error},
    {"pong", frame_kind::pong},
};

/// Reads up to the frame's first top-level "type" and stops there.
class type_handler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, type_handler> {
 public:
  bool Default() { return value("a number"); }
  bool Null() { return value("null"); }
  bool Bool(bool) { return value("a boolean"); }

  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!at_type())
      return value("a string");
    std::string_view type{s, n};
    kind = frame_kind::other;
    for (const auto& [name, k] : frame_kinds)
      if (name == type)
        kind = k;
    return false; // found: stop reading
  }

  bool StartObject() {
    if (at_type())
      return value("an object");
    ++depth_;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    type_next_ = depth_ == 1 && std::string_view{s, n} == "type";
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool StartArray() {
    if (depth_ == 0 || at_type())
      return value("an array");
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  std::optional<frame_kind> kind;
  std::string error;

 private:
  bool at_type() const noexcept { return depth_ == 1 && type_next_; }

  bool value(const char* got) {
    if (depth_ == 0) {
      error = std::string{"document: expected an object, got "} + got;
      return false;
    }
    if (at_type()) {
      error = std::string{"type: expected a string, got "} + got;
      return false;
    }
    type_next_ = false;
    return true;
  }

  int depth_ = 0;
  bool type_next_ = false;
};

// --- running the reader -----------------------------------------------------

constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag;

std::string_view without_bom(std::string_view text) {
  // RapidJSON's Document::Parse skips a UTF-8 byte order mark; so do we.
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    text.remove_prefix(3);
  return text;
}

std::optional<json_error> too_large(std::string_view text) {
  if (text.size() <= default_json_limit)
    return std::nullopt;
  return json_error("document of " + std::to_string(text.size()) +
                    " bytes exceeds the limit of " +
                    std::to_string(default_json_limit) + " bytes");
}

json_error malformed(const rapidjson::ParseResult& r) {
  return json_error(std::string{"malformed JSON at offset "} +
                    std::to_string(r.Offset()) + ": " +
                    rapidjson::GetParseError_En(r.Code()));
}

/// A null-terminated copy of the input, with room after it: RapidJSON's
/// fast paths (StringStream, in-situ) read up to a terminating NUL, and its
/// SIMD scanners read whole aligned 16-byte blocks.
char* terminated_copy(std::string_view text) {
  thread_local std::vector<char> buffer;
  // A rare large frame (up to the 4 MiB limit) does not stay with the
  // thread for good.
  constexpr std::size_t kept = 256 * 1024;
  if (buffer.capacity() > kept && text.size() + 16 <= kept)
    std::vector<char>{}.swap(buffer);
  buffer.resize(text.size() + 16);
  std::memcpy(buffer.data(), text.data(), text.size());
  std::memset(buffer.data() + text.size(), 0, 16);
  return buffer.data();
}

expected<race_snapshot, json_error> decode(std::string_view text,
                                           context root) {
  if (auto e = too_large(text))
    return *e;
  text = without_bom(text);
  race_snapshot out;
  // Entrants go to a scratch vector first so the snapshot's own vector is
  // allocated once, at its final size: a room keeps it for its whole life.
  thread_local std::vector<entrant_snapshot> entrants;
  if (entrants.capacity() > 1000)
    std::vector<entrant_snapshot>{}.swap(entrants); // a huge one before
  entrants.clear();
  snapshot_handler handler{root, out, entrants};
  // In situ: strings are read where they are, without a copy into the
  // reader's stack; the copy of the frame is needed anyway (above).
  rapidjson::InsituStringStream stream{terminated_copy(text)};
  rapidjson::Reader reader;
  auto result =
      reader.Parse<parse_flags | rapidjson::kParseInsituFlag>(stream, handler);
  if (result.IsError()) {
    if (result.Code() == rapidjson::kParseErrorTermination)
      return json_error(handler.error());
    return malformed(result);
  }
  // The reader ends at a NUL; one inside the text would hide what follows.
  if (stream.Tell() != text.size())
    return json_error("malformed JSON at offset " +
                      std::to_string(stream.Tell()) +
                      ": a NUL character outside a string");
  out.entrants.reserve(entrants.size());
  for (auto& e : entrants)
    out.entrants.push_back(std::move(e));
  return out;
}

} // namespace

expected<frame_kind, json_error> classify_frame(std::string_view frame) {
  if (auto e = too_large(frame))
    return *e;
  frame = without_bom(frame);
  type_handler handler;
  rapidjson::MemoryStream stream{frame.data(), frame.size()};
  rapidjson::Reader reader;
  auto result = reader.Parse<parse_flags>(stream, handler);
  if (handler.kind)
    return *handler.kind;
  if (!handler.error.empty())
    return json_error(handler.error);
  if (result.IsError())
    return malformed(result);
  return json_error("type: missing");
}

expected<race_snapshot, json_error> decode_race_frame(std::string_view frame) {
  return decode(frame, context::frame);
}

expected<race_snapshot, json_error>
decode_race_document(std::string_view document) {
  return decode(document, context::race);
}

} // namespace racecontrol::protocol
