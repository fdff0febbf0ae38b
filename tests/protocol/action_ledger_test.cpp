// The re-send rule of action_ledger.hpp, case by case, without sockets.

#include <boost/test/unit_test.hpp>

#include "protocol/action_ledger.hpp"
#include "protocol/bot_actions.hpp"

#include <string>
#include <vector>

using namespace racecontrol::protocol;
using namespace std::chrono_literals;

namespace {

const steady_time t0 = steady_time{} + 1000h;

outgoing_frame frame(const bot_action& a, steady_time at = t0) {
  outgoing_frame f;
  f.text = serialize(a);
  f.kind = classify_frame(f.text);
  f.first_written = at;
  return f;
}

outgoing_frame invite(const std::string& user) {
  return frame(user_action{user_action::kind::invite, user});
}

outgoing_frame chat(const std::string& text, steady_time at = t0) {
  return frame(
      message_action{text, make_guid(), std::nullopt, "null", std::nullopt},
      at);
}

outgoing_frame own_ping() {
  auto f = frame(simple_action{simple_action::kind::ping});
  f.own = true;
  return f;
}

std::vector<std::string> texts(const std::vector<outgoing_frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames)
    out.push_back(f.text);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(action_ledger_rule)

BOOST_AUTO_TEST_CASE(frames_are_classified_by_action_and_guid) {
  auto kind = [](const bot_action& a) {
    return classify_frame(serialize(a));
  };
  BOOST_TEST(
      (kind(simple_action{simple_action::kind::ping}) == frame_kind::ping));
  BOOST_TEST((kind(simple_action{simple_action::kind::getrace}) ==
              frame_kind::read_only));
  BOOST_TEST((kind(gethistory_action{"abc"}) == frame_kind::read_only));
  BOOST_TEST((chat("hello").kind == frame_kind::message));
  BOOST_TEST((invite("u1").kind == frame_kind::action));
  BOOST_TEST((kind(setinfo_action{"x", std::nullopt}) == frame_kind::action));
  BOOST_TEST(
      (kind(simple_action{simple_action::kind::begin}) == frame_kind::action));
  // A guid racetime.gg would not accept protects nothing.
  BOOST_TEST(
      (classify_frame(
           R"({"action":"message","data":{"message":"x","guid":"AB"}})") ==
       frame_kind::action));
  BOOST_TEST((classify_frame(R"({"action":"message"})") == frame_kind::action));
  BOOST_TEST((classify_frame(R"({"action":"dance","data":{}})") ==
              frame_kind::unknown));
  BOOST_TEST((classify_frame("this is not json") == frame_kind::unknown));
  BOOST_TEST((classify_frame("[1,2]") == frame_kind::unknown));
}

BOOST_AUTO_TEST_CASE(a_ping_after_actions_settles_them) {
  action_ledger ledger;
  BOOST_TEST(ledger.settled());
  ledger.written(invite("u1"));
  ledger.written(chat("hello"));
  BOOST_TEST(ledger.needs_ping());
  BOOST_TEST(!ledger.settled());
  ledger.written(own_ping());
  BOOST_TEST(!ledger.needs_ping());
  BOOST_TEST(!ledger.settled());
  auto v = ledger.pong();
  BOOST_TEST(!v.answers_owner); // our ping: the owner never sees this pong
  BOOST_TEST(v.resend.empty());
  BOOST_TEST(v.refused.empty());
  BOOST_TEST(ledger.settled());
  // Nothing is in doubt once settled.
  auto end = ledger.ended(t0);
  BOOST_TEST(end.resend.empty());
  BOOST_TEST(end.unknown.empty());
}

BOOST_AUTO_TEST_CASE(the_refused_actions_are_the_last_before_the_ping) {
  action_ledger ledger;
  auto a1 = invite("u1"), a2 = invite("u2"), m3 = chat("three");
  ledger.written(a1);
  ledger.written(a2);
  // An owner's getrace needs no token: it is neither counted nor refused.
  ledger.written(frame(simple_action{simple_action::kind::getrace}));
  ledger.written(m3);
  ledger.written(own_ping());
  BOOST_TEST(ledger.permission_denied());
  BOOST_TEST(ledger.permission_denied());
  auto v = ledger.pong();
  BOOST_TEST(texts(v.resend) == (std::vector<std::string>{a2.text, m3.text}));
  for (const auto& f : v.resend) {
    BOOST_TEST(f.refused);
    BOOST_TEST(f.repeated);
  }
  BOOST_TEST(v.refused.empty());
  BOOST_TEST(ledger.settled());
}

BOOST_AUTO_TEST_CASE(refused_a_second_time_is_given_up) {
  action_ledger first;
  first.written(invite("u1"));
  first.written(own_ping());
  BOOST_TEST(first.permission_denied());
  auto again = first.pong().resend.at(0);
  // On the next connection, with a fresh token, refused once more.
  action_ledger second;
  second.written(again);
  second.written(own_ping());
  BOOST_TEST(second.permission_denied());
  auto v = second.pong();
  BOOST_TEST(v.resend.empty());
  BOOST_TEST(texts(v.refused) == std::vector<std::string>{again.text});
}

BOOST_AUTO_TEST_CASE(refusals_no_written_action_explains_are_not_ours) {
  action_ledger ledger;
  BOOST_TEST(!ledger.permission_denied());
  ledger.written(frame(simple_action{simple_action::kind::getrace}));
  BOOST_TEST(!ledger.permission_denied());
  ledger.written(invite("u1"));
  BOOST_TEST(ledger.permission_denied());
  BOOST_TEST(!ledger.permission_denied()); // one action, one refusal
  // A pong for a ping we never wrote belongs to the owner.
  action_ledger empty;
  BOOST_TEST(empty.pong().answers_owner);
}

BOOST_AUTO_TEST_CASE(refusals_count_towards_the_oldest_unsettled_ping) {
  // The token dies after the first action: its refusal comes before the
  // first pong, the second action's after it.
  action_ledger ledger;
  auto a1 = invite("u1"), a2 = invite("u2");
  ledger.written(a1);
  ledger.written(own_ping());
  auto owners_ping = frame(simple_action{simple_action::kind::ping});
  ledger.written(a2);
  ledger.written(owners_ping);
  BOOST_TEST(ledger.permission_denied());
  auto v1 = ledger.pong();
  BOOST_TEST(texts(v1.resend) == std::vector<std::string>{a1.text});
  BOOST_TEST(!v1.answers_owner);
  BOOST_TEST(!ledger.settled());
  BOOST_TEST(ledger.permission_denied());
  auto v2 = ledger.pong();
  BOOST_TEST(texts(v2.resend) == std::vector<std::string>{a2.text});
  BOOST_TEST(v2.answers_owner); // the owner's ping: its pong is passed on
  BOOST_TEST(ledger.settled());
}

BOOST_AUTO_TEST_CASE(in_doubt_only_what_is_harmless_twice_goes_again) {
  action_ledger ledger;
  auto fresh = chat("fresh", t0);
  auto stale = chat("stale", t0 - 250s); // racetime.gg may have forgotten
  auto act = invite("u1");
  auto get = frame(simple_action{simple_action::kind::getrace});
  auto ping = frame(simple_action{simple_action::kind::ping});
  auto garbage = outgoing_frame{};
  garbage.text = R"({"action":"dance","data":{}})";
  garbage.kind = classify_frame(garbage.text);
  for (const auto& f : {fresh, act, stale, get, garbage, ping})
    ledger.written(f);
  // The session's own frames are never sent again nor reported.
  auto resync = frame(simple_action{simple_action::kind::getrace});
  resync.own = true;
  ledger.written(resync);
  ledger.written(own_ping());
  auto v = ledger.ended(t0 + 10s);
  BOOST_TEST(texts(v.resend) ==
             (std::vector<std::string>{fresh.text, get.text, ping.text}));
  BOOST_TEST(texts(v.unknown) ==
             (std::vector<std::string>{act.text, stale.text, garbage.text}));
  BOOST_TEST(v.refused.empty());
  // Sent again once; in doubt a second time, a getrace is given up too,
  // while a message inside the guid window may go again.
  action_ledger next;
  for (const auto& f : v.resend)
    next.written(f);
  auto w = next.ended(t0 + 20s);
  BOOST_TEST(texts(w.resend) == std::vector<std::string>{fresh.text});
  BOOST_TEST(texts(w.unknown) ==
             (std::vector<std::string>{get.text, ping.text}));
}

BOOST_AUTO_TEST_CASE(refusals_counted_before_the_end_are_certain) {
  // Three actions, one refusal seen, then the connection ends before the
  // pong: the last action was certainly refused (it goes again once);
  // the two before may or may not have been (invites: reported).
  action_ledger ledger;
  auto a1 = invite("u1"), a2 = invite("u2"), a3 = invite("u3");
  for (const auto& f : {a1, a2, a3})
    ledger.written(f);
  BOOST_TEST(ledger.permission_denied());
  auto v = ledger.ended(t0);
  BOOST_TEST(texts(v.resend) == std::vector<std::string>{a3.text});
  BOOST_TEST(texts(v.unknown) == (std::vector<std::string>{a1.text, a2.text}));
}

BOOST_AUTO_TEST_SUITE_END()
