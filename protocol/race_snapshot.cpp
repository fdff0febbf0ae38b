#include "protocol/race_snapshot.hpp"

#include "protocol/iso8601.hpp"

// RapidJSON is asked only about the rare number that may not fit a double
// (one with an exponent, or with hundreds of digits), so the decoder
// refuses exactly the numbers the full parser refuses; and it lends its
// error texts, so messages stay what they were when it read every frame.
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#if defined(__SSE2__)
#  include <emmintrin.h>
#endif

#include <array>
#include <cstring>
#include <limits>

namespace racecontrol::protocol {

namespace {

using rapidjson::ParseErrorCode;

/// A skipped value may nest this deep: far beyond any frame, and the
/// brackets' record stays at 128 KiB.
constexpr std::size_t max_nesting = std::size_t{1} << 20;

// --- the JSON cursor --------------------------------------------------------

#if defined(__SSE2__)
/// What 16 bytes at p hold that ends a string's plain run: bit i of
/// `quotes` is set when p[i] is '"', of `others` when it is '\\' or a
/// control character (below 0x20).
struct special_bytes {
  unsigned quotes;
  unsigned others;
};

special_bytes specials(const char* p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i control = _mm_set1_epi8(0x1F);
  // max(v, 0x1F) == 0x1F exactly for the bytes 0x00 to 0x1F (unsigned).
  const __m128i others =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                   _mm_cmpeq_epi8(_mm_max_epu8(v, control), control));
  return {static_cast<unsigned>(
              _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')))),
          static_cast<unsigned>(_mm_movemask_epi8(others))};
}
#endif

/// The first '"', '\\' or control character from p on (the text's end is
/// a NUL, so there is one): what ends a string's plain run. Sixteen bytes
/// at a time where SSE2 is there (on every x86-64): strings are most of a
/// race.data frame.
const char* find_special(const char* p) noexcept {
#if defined(__SSE2__)
  for (;; p += 16) {
    const auto found = specials(p);
    if (const unsigned mask = found.quotes | found.others)
      return p + __builtin_ctz(mask);
  }
#else
  for (;; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20)
      return p;
  }
#endif
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// The value of the four hex digits at p, or -1 (the NUL at the text's
/// end is not one).
int hex4(const char* p) noexcept {
  int value = 0;
  for (int i = 0; i < 4; ++i, ++p) {
    const char c = *p;
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

/// The simple escapes' characters ("\n" is '\n'), or 0 for the others.
char simple_escape(char c) noexcept {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '/':
      return '/';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return 0;
  }
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Decodes a string's raw text whose escapes cursor::raw_string checked.
/// A lone low surrogate (\uDC00) becomes its three-byte form, as in
/// RapidJSON 1.1.0, which lets it pass.
void unescape(std::string_view raw, std::string& out) {
  out.clear();
  const char* p = raw.data();
  const char* const end = p + raw.size();
  while (p != end) {
    const auto* backslash =
        static_cast<const char*>(std::memchr(p, '\\', end - p));
    if (backslash == nullptr) {
      out.append(p, end);
      return;
    }
    out.append(p, backslash);
    p = backslash + 1;
    if (*p != 'u') {
      out += simple_escape(*p++);
      continue;
    }
    auto cp = static_cast<unsigned>(hex4(p + 1));
    p += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) { // a high surrogate: "\uDC00" follows
      const auto low = static_cast<unsigned>(hex4(p + 2));
      p += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
  }
}

/// A number as RapidJSON hands it to a handler: whole when it has no
/// fraction or exponent and fits 64 bits (Int, Uint, Int64, Uint64), else
/// a double.
struct json_number {
  bool whole = false;
  bool negative = false; ///< below zero: "-0" is not
  std::uint64_t magnitude = 0;
};

/// Which brackets a skipped value has open: a bit per level, 1 for an
/// object. The first 256 levels are kept here; deeper ones (only in
/// strange input) on the heap.
class nesting {
 public:
  bool empty() const noexcept { return depth_ == 0; }
  bool object() noexcept {
    const auto level = depth_ - 1;
    return (word(level) >> level % 64 & 1) != 0;
  }
  void pop() noexcept { --depth_; }

  bool push(bool object) {
    if (depth_ == max_nesting)
      return false;
    const auto words = (depth_ + 64) / 64; // with this level
    if (words > low_.size() && high_.size() < words - low_.size())
      high_.resize(words - low_.size());
    const auto bit = std::uint64_t{1} << depth_ % 64;
    auto& w = word(depth_);
    w = object ? w | bit : w & ~bit;
    ++depth_;
    return true;
  }

 private:
  std::uint64_t& word(std::size_t level) noexcept {
    return level < 64 * low_.size() ? low_[level / 64]
                                    : high_[level / 64 - low_.size()];
  }

  std::size_t depth_ = 0;
  std::array<std::uint64_t, 4> low_{};
  std::vector<std::uint64_t> high_;
};

/// NULs after a copy of the text: the scanner needs no bounds checks (a
/// NUL ends every run of digits, spaces or string characters, and is no
/// JSON token), and a 16-byte block read at any character stays inside.
constexpr std::size_t padding = 16;

/// A copy of `text` followed by `padding` NULs, in a buffer of the
/// thread's own (copying a frame costs far less than checking for its end
/// at every character).
const char* padded_copy(std::string_view text) {
  thread_local std::vector<char> buffer;
  const auto size = text.size() + padding;
  // A rare large frame (up to the 4 MiB limit) does not stay with the
  // thread for good.
  constexpr std::size_t kept = 256 * 1024;
  if (buffer.size() > kept && size <= kept)
    std::vector<char>{}.swap(buffer);
  if (buffer.size() < size) // only grows: resizing would zero it all
    buffer.resize(size);
  std::memcpy(buffer.data(), text.data(), text.size());
  std::memset(buffer.data() + text.size(), 0, padding);
  return buffer.data();
}

/// The length of the byte order mark at the start of `text`. As the full
/// parser's RapidJSON (Document::Parse) does, each of the mark's three
/// bytes is skipped where it comes in its place, so part of one goes too.
std::size_t bom_length(std::string_view text) noexcept {
  std::size_t n = 0;
  for (const unsigned char b : {0xEF, 0xBB, 0xBF})
    if (n < text.size() && static_cast<unsigned char>(text[n]) == b)
      ++n;
  return n;
}

/// Reads JSON text left to right, as strictly as RapidJSON reads it (no
/// comments, no trailing commas, no NaN; control characters only escaped;
/// bytes above 0x7F taken as they are; a byte order mark skipped). Every
/// reading function returns false on the first error, which error() then
/// describes; offsets in it count from the start of the text, mark and
/// all, as the full parser's do. It reads a padded copy of the text; one
/// cursor at a time per thread.
class cursor {
 public:
  explicit cursor(std::string_view text)
      : skipped_(bom_length(text)), begin_(padded_copy(text.substr(skipped_))),
        p_(begin_), end_(begin_ + text.size() - skipped_) {}

  const std::string& error() const noexcept { return error_; }

  /// The next character; '\0' at the end (and where the text has a NUL,
  /// which is nowhere valid outside a string: RapidJSON read it as the
  /// end too).
  char peek() const noexcept { return *p_; }
  void advance() noexcept { ++p_; }

  void skip_whitespace() noexcept {
    // Frames have no whitespace or one space (json.dumps' ", " and ": "):
    // one comparison rules out everything else.
    while (static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  bool malformed(ParseErrorCode code) { return malformed_at(code, p_); }

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  /// At a member's name: its text (escapes decoded, in `scratch` if it has
  /// any), then past the colon and the whitespace after it.
  bool name(std::string_view& key, std::string& scratch) {
    bool escaped = false;
    if (!raw_name(key, escaped))
      return false;
    if (escaped) {
      unescape(key, scratch);
      key = scratch;
    }
    return true;
  }

  /// At a '"': the string's text, escapes decoded; a view of the input
  /// when it has none, else of `scratch`.
  bool text(std::string_view& out, std::string& scratch) {
    bool escaped = false;
    if (!raw_string(out, escaped))
      return false;
    if (escaped) {
      unescape(out, scratch);
      out = scratch;
    }
    return true;
  }

  /// At a '"': the string, escapes decoded, into `out`.
  bool string(std::string& out) {
    std::string_view raw;
    bool escaped = false;
    if (!raw_string(raw, escaped))
      return false;
    if (escaped)
      unescape(raw, out);
    else
      out.assign(raw.data(), raw.size());
    return true;
  }

  /// At a '-' or a digit (else "Invalid value"): the number.
  bool number(json_number& out);

  /// At a value (a '[' or '{' is read to its matching bracket).
  bool skip_value() {
    if (*p_ == '"') { // the most common value, read without a call
      std::string_view raw;
      bool escaped = false;
      return raw_string(raw, escaped);
    }
    return skip_other();
  }

  /// skip_value for all but strings.
  bool skip_other() {
    switch (peek()) {
      case '{':
      case '[':
        return skip_nested();
      case 't':
        return literal("true", 4);
      case 'f':
        return literal("false", 5);
      case 'n':
        return literal("null", 4);
      default: {
        json_number n;
        return number(n);
      }
    }
  }

  /// At the 't', 'f' or 'n' of `word`.
  bool literal(const char* word, std::size_t n) {
    if (std::memcmp(p_, word, n) == 0) { // the padding covers n <= 5
      p_ += n;
      return true;
    }
    // RapidJSON names the first character that is wrong.
    for (; *word == peek(); ++word)
      ++p_;
    return malformed(rapidjson::kParseErrorValueInvalid);
  }

  /// After the document's value: nothing but whitespace may follow.
  bool finish() {
    skip_whitespace();
    if (p_ == end_)
      return true;
    if (*p_ == '\0')
      return fail("malformed JSON at offset " + std::to_string(offset(p_)) +
                  ": a NUL character outside a string");
    return malformed(rapidjson::kParseErrorDocumentRootNotSingular);
  }

 private:
  bool malformed_at(ParseErrorCode code, const char* at) {
    return fail("malformed JSON at offset " + std::to_string(offset(at)) +
                ": " + rapidjson::GetParseError_En(code));
  }

  /// At a '"': the text between the quotes, escapes checked, not decoded.
  bool raw_string(std::string_view& raw, bool& escaped) {
    const char* start = p_ + 1;
#if defined(__SSE2__)
    // A string without escapes (nearly all) is read here, without a call,
    // and without reading the quote found again (the next string's start
    // waits for it).
    for (const char* p = start;; p += 16) {
      const auto found = specials(p);
      const unsigned first_quote = found.quotes & (0u - found.quotes);
      if ((found.others & (first_quote - 1)) != 0)
        break; // an escape or a control character first
      if (first_quote != 0) {
        p_ = p + __builtin_ctz(first_quote);
        raw = {start, static_cast<std::size_t>(p_ - start)};
        ++p_;
        return true;
      }
    }
#endif
    return escaped_string(start, raw, escaped);
  }

  /// name() without decoding escapes.
  bool raw_name(std::string_view& raw, bool& escaped) {
    if (*p_ != '"')
      return malformed(rapidjson::kParseErrorObjectMissName);
    if (!raw_string(raw, escaped))
      return false;
    if (*p_ != ':') { // json.dumps puts none before it
      skip_whitespace();
      if (*p_ != ':')
        return malformed(rapidjson::kParseErrorObjectMissColon);
    }
    ++p_;
    skip_whitespace();
    return true;
  }

  bool escaped_string(const char* start, std::string_view& raw, bool& escaped);
  bool escape();
  bool fits_double(const char* start);
  bool skip_nested();

  std::size_t offset(const char* at) const noexcept {
    return skipped_ + static_cast<std::size_t>(at - begin_);
  }

  std::size_t skipped_; ///< the byte order mark's length
  const char* begin_;
  const char* p_;
  const char* end_;
  std::string error_;
};

/// raw_string's way for a string with escapes (or a control character):
/// from its start again, an escape at a time.
bool cursor::escaped_string(const char* start, std::string_view& raw,
                            bool& escaped) {
  p_ = start;
  for (;;) {
    p_ = find_special(p_);
    if (*p_ == '"') {
      raw = {start, static_cast<std::size_t>(p_ - start)};
      ++p_;
      return true;
    }
    if (*p_ != '\\') // a raw control character; RapidJSON's words for them
      return malformed(*p_ == '\0'
                           ? rapidjson::kParseErrorStringMissQuotationMark
                           : rapidjson::kParseErrorStringEscapeInvalid);
    escaped = true;
    if (!escape())
      return false;
  }
}

/// At a '\\' in a string: past the escape, if it is one. Errors name the
/// backslash, as RapidJSON's do.
bool cursor::escape() {
  const char* at = p_;
  const char e = p_[1];
  if (simple_escape(e) != 0) {
    p_ += 2;
    return true;
  }
  if (e != 'u')
    return malformed_at(rapidjson::kParseErrorStringEscapeInvalid, at);
  const int cp = hex4(p_ + 2);
  if (cp < 0)
    return malformed_at(rapidjson::kParseErrorStringUnicodeEscapeInvalidHex,
                        at);
  p_ += 6;
  if (cp < 0xD800 || cp > 0xDBFF)
    return true;
  // A high surrogate must be followed by an escaped low one.
  if (p_[0] != '\\' || p_[1] != 'u')
    return malformed_at(rapidjson::kParseErrorStringUnicodeSurrogateInvalid,
                        at);
  const int low = hex4(p_ + 2);
  if (low < 0)
    return malformed_at(rapidjson::kParseErrorStringUnicodeEscapeInvalidHex,
                        at);
  if (low < 0xDC00 || low > 0xDFFF)
    return malformed_at(rapidjson::kParseErrorStringUnicodeSurrogateInvalid,
                        at);
  p_ += 6;
  return true;
}

bool cursor::number(json_number& out) {
  const char* start = p_;
  const bool minus = peek() == '-';
  if (minus)
    ++p_;
  const char* digits = p_;
  // What fits RapidJSON's integer events: up to 2^63 below zero.
  const std::uint64_t limit = minus ? std::uint64_t{1} << 63
                                    : std::numeric_limits<std::uint64_t>::max();
  std::uint64_t m = 0;
  bool whole = true;
  if (peek() == '0') {
    ++p_;
  } else if (is_digit(peek())) {
    for (; is_digit(peek()); ++p_) {
      const auto d = static_cast<unsigned>(*p_ - '0');
      if (whole && m <= (limit - d) / 10)
        m = m * 10 + d;
      else
        whole = false;
    }
  } else {
    return malformed(rapidjson::kParseErrorValueInvalid);
  }
  const auto int_digits = p_ - digits;
  if (peek() == '.') {
    ++p_;
    if (!is_digit(peek()))
      return malformed(rapidjson::kParseErrorNumberMissFraction);
    while (is_digit(peek()))
      ++p_;
    whole = false;
  }
  bool exponent = false;
  if (peek() == 'e' || peek() == 'E') {
    ++p_;
    if (peek() == '+' || peek() == '-')
      ++p_;
    if (!is_digit(peek()))
      return malformed(rapidjson::kParseErrorNumberMissExponent);
    while (is_digit(peek()))
      ++p_;
    whole = false;
    exponent = true;
  }
  // Only an exponent or more than 300 digits can overflow a double.
  if ((exponent || int_digits > 300) && !fits_double(start))
    return false;
  out = {whole, minus && m != 0, m};
  return true;
}

/// Whether RapidJSON reads the number [start, p_) without "Number too big
/// to be stored in double", and with the same offset when not.
bool cursor::fits_double(const char* start) {
  struct any_value
      : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, any_value> {};
  rapidjson::MemoryStream in{start, static_cast<std::size_t>(p_ - start)};
  rapidjson::Reader reader;
  any_value handler;
  auto result = reader.Parse<rapidjson::kParseIterativeFlag>(in, handler);
  if (!result.IsError())
    return true;
  return malformed_at(result.Code(), start + result.Offset());
}

/// At a '[' or '{': past its matching bracket, everything in between
/// checked. Iterative, so deep nesting costs heap, not stack.
bool cursor::skip_nested() {
  nesting open;
  std::string_view name;
  bool escaped = false;
  for (bool at_value = true;;) {
    if (at_value && (*p_ == '{' || *p_ == '[')) {
      const bool object = *p_ == '{';
      if (!open.push(object))
        return fail("JSON nested more than " + std::to_string(max_nesting) +
                    " levels deep at offset " + std::to_string(offset(p_)));
      ++p_;
      skip_whitespace();
      if (*p_ == (object ? '}' : ']')) {
        ++p_;
        open.pop();
        at_value = false;
      } else if (object && !raw_name(name, escaped)) {
        return false;
      }
      continue;
    }
    if (at_value && !skip_value())
      return false;
    // After a value: a comma and the next one, or a closing bracket.
    if (open.empty())
      return true;
    skip_whitespace();
    const bool object = open.object();
    if (*p_ == ',') {
      ++p_;
      skip_whitespace();
      if (object && !raw_name(name, escaped))
        return false;
      at_value = true;
    } else if (*p_ == (object ? '}' : ']')) {
      ++p_;
      open.pop();
      at_value = false;
    } else {
      return malformed(
          object ? rapidjson::kParseErrorObjectMissCommaOrCurlyBracket
                 : rapidjson::kParseErrorArrayMissCommaOrSquareBracket);
    }
  }
}

/// What a value is, from its first character, for "got ..." messages.
const char* kind_of_value(char c) noexcept {
  switch (c) {
    case '"':
      return "a string";
    case '{':
      return "an object";
    case '[':
      return "an array";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
  }
}

bool is_container(char c) noexcept {
  return c == '{' || c == '[';
}

/// The document is not an object: what it is, once it is read (a
/// malformed one is named as such).
bool not_an_object_document(cursor& in) {
  const char first = in.peek();
  // RapidJSON's words for a document that starts with nothing readable.
  if (first == '\0' || first == ']' || first == '}' || first == ',' ||
      first == ':')
    return in.malformed(rapidjson::kParseErrorDocumentEmpty);
  if (!is_container(first) && !in.skip_value())
    return false;
  return in.fail(std::string{"document: expected an object, got "} +
                 kind_of_value(first));
}

// --- what the decoder keeps -------------------------------------------------

/// The objects and the one array whose members the snapshot keeps.
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

struct member {
  std::string_view key;
  slot what;
  bool required;
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

/// A member name's bucket in its object's table: every name of a frame's
/// kept objects is looked up, so one hash and one comparison beat a walk
/// through the list (list_of checks that no two members share a bucket).
constexpr std::size_t bucket(std::string_view key) noexcept {
  return (key.size() + static_cast<unsigned char>(key.front()) +
          3u * static_cast<unsigned char>(key.back())) %
         32;
}

/// Whether the n bytes (at most 16) at a and b are the same: memcmp
/// without a call, in two overlapping loads (every name of a kept object
/// whose bucket holds a member is compared).
bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  const auto load = [](const char* p, auto word) {
    std::memcpy(&word, p, sizeof word);
    return word;
  };
  if (n >= 8)
    return load(a, std::uint64_t{}) == load(b, std::uint64_t{}) &&
           load(a + n - 8, std::uint64_t{}) == load(b + n - 8, std::uint64_t{});
  if (n >= 4)
    return load(a, std::uint32_t{}) == load(b, std::uint32_t{}) &&
           load(a + n - 4, std::uint32_t{}) == load(b + n - 4, std::uint32_t{});
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

/// The members of one object and a table from bucket to member.
struct member_list {
  const member* begin = nullptr;
  std::size_t size = 0;
  std::array<std::int8_t, 32> by_bucket{};

  /// The index of the member named `key`, or -1.
  int find(std::string_view key) const noexcept {
    if (key.empty())
      return -1;
    const int i = by_bucket[bucket(key)];
    if (i < 0 || begin[i].key.size() != key.size() ||
        !same_bytes(begin[i].key.data(), key.data(), key.size()))
      return -1;
    return i;
  }
};

template <std::size_t N>
constexpr member_list list_of(const member (&m)[N]) {
  static_assert(N <= 16, "seen bits are 16 wide");
  member_list list{m, N, {}};
  for (auto& b : list.by_bucket)
    b = -1;
  for (std::size_t i = 0; i < N; ++i) {
    if (m[i].key.size() > 16)
      throw "a member name too long for same_bytes";
    auto& b = list.by_bucket[bucket(m[i].key)];
    if (b != -1)
      throw "two members share a bucket: change bucket()";
    b = static_cast<std::int8_t>(i);
  }
  return list;
}

constexpr member_list frame_list = list_of(frame_members);
constexpr member_list race_list = list_of(race_members);
constexpr member_list status_list = list_of(status_members);
constexpr member_list goal_list = list_of(goal_members);
constexpr member_list entrant_list = list_of(entrant_members);
constexpr member_list user_list = list_of(user_members);

constexpr const member_list& members_of(context c) {
  switch (c) {
    case context::frame:
      return frame_list;
    case context::race:
      return race_list;
    case context::race_status:
    case context::entrant_status:
      return status_list;
    case context::goal:
      return goal_list;
    case context::entrant:
    case context::entrants:
      return entrant_list;
    case context::user:
      return user_list;
  }
  return frame_list;
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

// --- the snapshot reader ----------------------------------------------------

/// Reads a frame or a race document into a snapshot: the kept objects
/// member by member, everything else skipped (and checked). A duplicate
/// member is skipped too: the first one counts, as with RapidJSON's
/// FindMember in the full parser. Errors come in document order, as the
/// streaming reader before it gave them: a malformed value before a
/// mistyped one, a mistyped object or array at its bracket.
class snapshot_reader {
 public:
  snapshot_reader(std::string_view text, race_snapshot& out)
      : in_(text), out_(out) {}

  const std::string& error() const noexcept { return in_.error(); }

  /// The whole text, as a frame or as a race document.
  bool read(context root) {
    in_frame_ = root == context::frame;
    in_.skip_whitespace();
    if (in_.peek() != '{')
      return not_an_object_document(in_);
    return (in_frame_ ? frame() : race()) && in_.finish();
  }

 private:
  /// At an object: its members, `read` called with the kept ones.
  template <class Read>
  bool object(context c, Read&& read);

  bool frame() {
    return object(context::frame, [this](const member& m) {
      return frame_member(m);
    });
  }
  bool frame_member(const member& m);
  bool race();
  bool race_member(const member& m);
  bool entrants();
  bool entrant_member(const member& m, entrant_snapshot& e);

  /// At a status object ({"value": ..., "verbose_value": ...}).
  bool status(context c, const member& m, std::string& into) {
    const auto inner =
        c == context::race ? context::race_status : context::entrant_status;
    return opens(c, m, '{') && object(inner, [&](const member& value) {
             return text(inner, value, into);
           });
  }

  bool not_an_entrant(std::size_t index);
  bool wrong_type(context c, const member& m);
  bool opens(context c, const member& m, char bracket) {
    return in_.peek() == bracket || wrong_type(c, m);
  }

  bool text(context c, const member& m, std::string& into) {
    if (in_.peek() != '"')
      return wrong_type(c, m);
    return in_.string(into);
  }
  bool optional_text(context c, const member& m, std::string& into) {
    if (in_.peek() == 'n')
      return in_.literal("null", 4);
    return text(c, m, into);
  }
  bool time(context c, const member& m, std::optional<std::int64_t>& into);
  bool duration(context c, const member& m,
                std::optional<std::chrono::microseconds>& into);
  bool whole_number(context c, const member& m, json_number& n);
  bool version(const member& m);
  bool place(const member& m, std::optional<std::int32_t>& into);
  bool out_of_range(context c, const member& m, const json_number& n,
                    const char* range);

  std::string path(context c) const;
  std::string path_of(context c, std::string_view key) const;

  cursor in_;
  race_snapshot& out_;
  bool in_frame_ = false;     ///< paths start with "race."
  std::size_t entrant_ = 0;   ///< the index of the entrant being read
  std::string key_scratch_;   ///< a member name with escapes, decoded
  std::string value_scratch_; ///< a time or a type with escapes, decoded
};

template <class Read>
bool snapshot_reader::object(context c, Read&& read) {
  const member_list& list = members_of(c);
  std::uint32_t seen = 0;
  in_.advance(); // '{'
  in_.skip_whitespace();
  if (in_.peek() != '}') {
    for (;;) {
      std::string_view key;
      if (!in_.name(key, key_scratch_))
        return false;
      const int i = list.find(key);
      if (i >= 0 && (seen & 1u << i) == 0) {
        seen |= 1u << i;
        if (!read(list.begin[i]))
          return false;
      } else if (!in_.skip_value()) {
        return false;
      }
      in_.skip_whitespace();
      if (in_.peek() == '}')
        break;
      if (in_.peek() != ',')
        return in_.malformed(
            rapidjson::kParseErrorObjectMissCommaOrCurlyBracket);
      in_.advance();
      in_.skip_whitespace();
    }
  }
  in_.advance(); // '}'
  for (std::size_t i = 0; i < list.size; ++i)
    if (list.begin[i].required && (seen & 1u << i) == 0)
      return in_.fail(path_of(c, list.begin[i].key) + ": missing");
  return true;
}

bool snapshot_reader::frame_member(const member& m) {
  if (m.what == slot::frame_race)
    return opens(context::frame, m, '{') && race();
  if (in_.peek() != '"')
    return wrong_type(context::frame, m);
  std::string_view type;
  if (!in_.text(type, value_scratch_))
    return false;
  if (type != "race.data")
    return in_.fail("type: expected \"race.data\", got \"" +
                    std::string{type.substr(0, 64)} + "\"");
  return true;
}

bool snapshot_reader::race() {
  // Required members are always written; the optional ones start absent.
  out_.info_bot.clear();
  out_.opened_at.reset();
  out_.started_at.reset();
  out_.ended_at.reset();
  out_.cancelled_at.reset();
  return object(context::race, [this](const member& m) {
    return race_member(m);
  });
}

bool snapshot_reader::race_member(const member& m) {
  constexpr auto c = context::race;
  switch (m.what) {
    case slot::race_version:
      return version(m);
    case slot::race_name:
      return text(c, m, out_.name);
    case slot::race_status:
      return status(c, m, out_.status);
    case slot::race_goal:
      return opens(c, m, '{') && object(context::goal, [this](const member& g) {
               return text(context::goal, g, out_.goal);
             });
    case slot::race_info_bot:
      return optional_text(c, m, out_.info_bot);
    case slot::race_entrants:
      return opens(c, m, '[') && entrants();
    case slot::race_opened_at:
      return time(c, m, out_.opened_at);
    case slot::race_started_at:
      return time(c, m, out_.started_at);
    case slot::race_ended_at:
      return time(c, m, out_.ended_at);
    case slot::race_cancelled_at:
      return time(c, m, out_.cancelled_at);
    default:
      return in_.skip_value(); // not a race member
  }
}

/// At race.entrants' '['. The snapshot's entrants are reused in place (a
/// room decodes every frame into the same one), only the count changes.
bool snapshot_reader::entrants() {
  auto& all = out_.entrants;
  std::size_t n = 0;
  in_.advance(); // '['
  in_.skip_whitespace();
  if (in_.peek() != ']') {
    for (;;) {
      if (in_.peek() != '{')
        return not_an_entrant(n);
      if (n == all.size())
        all.emplace_back();
      auto& e = all[n];
      e.place.reset();
      e.finish_time.reset();
      entrant_ = n;
      if (!object(context::entrant, [&](const member& m) {
            return entrant_member(m, e);
          }))
        return false;
      ++n;
      in_.skip_whitespace();
      if (in_.peek() == ']')
        break;
      if (in_.peek() != ',')
        return in_.malformed(
            rapidjson::kParseErrorArrayMissCommaOrSquareBracket);
      in_.advance();
      in_.skip_whitespace();
    }
  }
  in_.advance(); // ']'
  all.resize(n);
  return true;
}

bool snapshot_reader::entrant_member(const member& m, entrant_snapshot& e) {
  constexpr auto c = context::entrant;
  switch (m.what) {
    case slot::entrant_user:
      // A deleted account's entrant ("user": null, as the full parser
      // reads it): no one to match, invite or accept.
      if (in_.peek() == 'n') {
        e.user_id.clear();
        e.user_name.clear();
        return in_.literal("null", 4);
      }
      return opens(c, m, '{') && object(context::user, [&](const member& u) {
               return text(context::user, u,
                           u.what == slot::user_id ? e.user_id : e.user_name);
             });
    case slot::entrant_status:
      return status(c, m, e.status);
    case slot::entrant_finish_time:
      return duration(c, m, e.finish_time);
    case slot::entrant_place:
      return place(m, e.place);
    default:
      return in_.skip_value(); // not an entrant member
  }
}

bool snapshot_reader::time(context c, const member& m,
                           std::optional<std::int64_t>& into) {
  if (in_.peek() == 'n')
    return in_.literal("null", 4); // null reads as absent
  if (in_.peek() != '"')
    return wrong_type(c, m);
  std::string_view text;
  if (!in_.text(text, value_scratch_))
    return false;
  auto t = parse_iso8601_time(text);
  if (!t)
    return in_.fail(path_of(c, m.key) + ": '" +
                    std::string{text.substr(0, 64)} +
                    "' is not an ISO-8601 date-time");
  into = std::chrono::duration_cast<std::chrono::microseconds>(
             t->time_since_epoch())
             .count();
  return true;
}

bool snapshot_reader::duration(context c, const member& m,
                               std::optional<std::chrono::microseconds>& into) {
  if (in_.peek() == 'n')
    return in_.literal("null", 4);
  if (in_.peek() != '"')
    return wrong_type(c, m);
  std::string_view text;
  if (!in_.text(text, value_scratch_))
    return false;
  into = parse_iso8601_duration(text);
  if (!into)
    return in_.fail(path_of(c, m.key) + ": '" +
                    std::string{text.substr(0, 64)} +
                    "' is not an ISO-8601 duration");
  return true;
}

/// A number that must be whole: anything else is named wrong.
bool snapshot_reader::whole_number(context c, const member& m, json_number& n) {
  const char first = in_.peek();
  if (first != '-' && !is_digit(first))
    return wrong_type(c, m);
  if (!in_.number(n))
    return false;
  if (!n.whole)
    return in_.fail(path_of(c, m.key) + ": expected " + wanted(m.what) +
                    ", got a number");
  return true;
}

bool snapshot_reader::version(const member& m) {
  json_number n;
  if (!whole_number(context::race, m, n))
    return false;
  if (n.negative || n.magnitude > std::numeric_limits<std::uint32_t>::max())
    return out_of_range(context::race, m, n, "0 to 4294967295");
  out_.version = static_cast<std::uint32_t>(n.magnitude);
  return true;
}

bool snapshot_reader::place(const member& m,
                            std::optional<std::int32_t>& into) {
  if (in_.peek() == 'n')
    return in_.literal("null", 4);
  json_number n;
  if (!whole_number(context::entrant, m, n))
    return false;
  constexpr std::uint64_t max = std::numeric_limits<std::int32_t>::max();
  if (n.magnitude > max + (n.negative ? 1 : 0))
    return out_of_range(context::entrant, m, n, "-2147483648 to 2147483647");
  into = static_cast<std::int32_t>(
      n.negative ? -static_cast<std::int64_t>(n.magnitude)
                 : static_cast<std::int64_t>(n.magnitude));
  return true;
}

bool snapshot_reader::out_of_range(context c, const member& m,
                                   const json_number& n, const char* range) {
  return in_.fail(path_of(c, m.key) + ": " + (n.negative ? "-" : "") +
                  std::to_string(n.magnitude) + " is out of range (" + range +
                  ")");
}

/// The member's value has the wrong type. A scalar is read first: if it is
/// malformed, that is the error.
bool snapshot_reader::wrong_type(context c, const member& m) {
  const char first = in_.peek();
  if (!is_container(first) && !in_.skip_value())
    return false;
  return in_.fail(path_of(c, m.key) + ": expected " + wanted(m.what) +
                  ", got " + kind_of_value(first));
}

bool snapshot_reader::not_an_entrant(std::size_t index) {
  const char first = in_.peek();
  if (!is_container(first) && !in_.skip_value())
    return false;
  return in_.fail(path(context::entrants) + "[" + std::to_string(index) +
                  "]: expected an object, got " + kind_of_value(first));
}

/// "race.entrants[2].user" for a context ("" for the frame).
std::string snapshot_reader::path(context c) const {
  switch (c) {
    case context::frame:
      return "";
    case context::race:
      return in_frame_ ? "race" : "";
    case context::race_status:
      return path_of(context::race, "status");
    case context::goal:
      return path_of(context::race, "goal");
    case context::entrants:
      return path_of(context::race, "entrants");
    case context::entrant:
      return path(context::entrants) + "[" + std::to_string(entrant_) + "]";
    case context::user:
      return path(context::entrant) + ".user";
    case context::entrant_status:
      return path(context::entrant) + ".status";
  }
  return "";
}

std::string snapshot_reader::path_of(context c, std::string_view key) const {
  auto p = path(c);
  if (!p.empty())
    p += '.';
  return p.append(key);
}

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

frame_kind kind_named(std::string_view type) {
  for (const auto& [name, k] : frame_kinds)
    if (name == type)
      return k;
  return frame_kind::other;
}

/// Reads up to the frame's first top-level "type" and stops there.
std::optional<frame_kind> read_type(cursor& in) {
  std::string scratch;
  in.skip_whitespace();
  if (in.peek() != '{') {
    not_an_object_document(in);
    return std::nullopt;
  }
  in.advance();
  in.skip_whitespace();
  if (in.peek() != '}') {
    for (;;) {
      std::string_view key;
      if (!in.name(key, scratch))
        return std::nullopt;
      if (key == "type") {
        const char c = in.peek();
        std::string_view type;
        if (c == '"')
          return in.text(type, scratch) ? std::optional{kind_named(type)}
                                        : std::nullopt;
        if (is_container(c) || in.skip_value())
          in.fail(std::string{"type: expected a string, got "} +
                  kind_of_value(c));
        return std::nullopt;
      }
      if (!in.skip_value())
        return std::nullopt;
      in.skip_whitespace();
      if (in.peek() == '}')
        break;
      if (in.peek() != ',') {
        in.malformed(rapidjson::kParseErrorObjectMissCommaOrCurlyBracket);
        return std::nullopt;
      }
      in.advance();
      in.skip_whitespace();
    }
  }
  in.advance();
  if (in.finish())
    in.fail("type: missing");
  return std::nullopt;
}

// --- running the reader -----------------------------------------------------

std::optional<json_error> too_large(std::string_view text) {
  if (text.size() <= default_json_limit)
    return std::nullopt;
  return json_error("document of " + std::to_string(text.size()) +
                    " bytes exceeds the limit of " +
                    std::to_string(default_json_limit) + " bytes");
}

std::optional<json_error> decode(std::string_view text, context root,
                                 race_snapshot& into) {
  if (auto e = too_large(text))
    return e;
  snapshot_reader reader{text, into};
  if (!reader.read(root))
    return json_error(reader.error());
  return std::nullopt;
}

expected<race_snapshot, json_error> decode_new(std::string_view text,
                                               context root) {
  race_snapshot out;
  if (auto e = decode(text, root, out))
    return *e;
  // A room keeps the snapshot for a while: no spare entrants.
  out.entrants.shrink_to_fit();
  return out;
}

} // namespace

expected<frame_kind, json_error> classify_frame(std::string_view frame) {
  if (auto e = too_large(frame))
    return *e;
  // The type comes first in racetime.gg's frames: a short start is copied
  // and read first. Cut short, it reads as well-formed up to the cut and
  // ends there; so a type found in it is the frame's, and only when none
  // is found does the whole frame have to be read.
  constexpr std::size_t start = 256;
  cursor head{frame.substr(0, start)};
  if (auto kind = read_type(head))
    return *kind;
  if (frame.size() <= start)
    return json_error(head.error());
  cursor in{frame};
  if (auto kind = read_type(in))
    return *kind;
  return json_error(in.error());
}

expected<race_snapshot, json_error> decode_race_frame(std::string_view frame) {
  return decode_new(frame, context::frame);
}

std::optional<json_error> decode_race_frame(std::string_view frame,
                                            race_snapshot& into) {
  return decode(frame, context::frame, into);
}

expected<race_snapshot, json_error>
decode_race_document(std::string_view document) {
  return decode_new(document, context::race);
}

} // namespace racecontrol::protocol
