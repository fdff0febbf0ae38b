#define BOOST_TEST_MODULE protocol_time
#include <boost/test/unit_test.hpp>

#include "protocol/iso8601.hpp"

using namespace racecontrol::protocol;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(iso8601)

BOOST_AUTO_TEST_CASE(django_datetimes) {
  // 2026-11-22T01:40:54.396Z = 1795311654.396 s since the epoch.
  auto t = parse_iso8601_time("2026-11-22T01:40:54.396Z");
  BOOST_REQUIRE(t);
  BOOST_TEST(duration_cast<milliseconds>(t->time_since_epoch()).count() ==
             1795311654396LL);
  BOOST_TEST(format_iso8601_time(*t) == "2026-11-22T01:40:54.396Z");
  auto exact = parse_iso8601_time("2026-11-22T01:44:16.149828+00:00");
  BOOST_REQUIRE(exact);
  BOOST_TEST(duration_cast<microseconds>(exact->time_since_epoch()).count() %
                 1000000 ==
             149828);
  auto whole = parse_iso8601_time("2026-11-22T01:40:54Z");
  BOOST_REQUIRE(whole);
  BOOST_TEST(format_iso8601_time(*whole) == "2026-11-22T01:40:54Z");
  auto offset = parse_iso8601_time("2026-11-22T03:40:54.396+02:00");
  BOOST_REQUIRE(offset);
  BOOST_TEST((*offset == *t));
  auto epoch = parse_iso8601_time("1970-01-01T00:00:00Z");
  BOOST_TEST(epoch->time_since_epoch().count() == 0);
  auto leap = parse_iso8601_time("2024-02-29T12:00:00Z");
  BOOST_TEST(format_iso8601_time(*leap) == "2024-02-29T12:00:00Z");
}

BOOST_AUTO_TEST_CASE(malformed_datetimes) {
  for (const char* bad :
       {"", "2026-11-22", "2026-11-22T01:40:54", "2026-13-01T00:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T01:40:54.Z",
        "2026-11-22T01:40:54ZZ", "2026-11-22T01:40:54.1234567890Z",
        "x026-11-22T01:40:54Z", "2026-11-22T01:40:54+0200",
        "9999-12-31T23:59:59Z", "1066-10-14T09:00:00Z",
        // Days a month does not have (they would land in the next month:
        // a match scheduled on a day nobody chose), offsets past a day.
        "2026-02-31T19:00:00Z", "2026-04-31T19:00:00Z", "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z", "2026-12-24T19:00:00+99:00",
        "2026-12-24T19:00:00+05:60"})
    BOOST_TEST(!parse_iso8601_time(bad), bad);
  // Leap days and the widest offsets that exist are read.
  BOOST_TEST(parse_iso8601_time("2028-02-29T12:00:00Z").has_value());
  BOOST_TEST(parse_iso8601_time("2000-02-29T12:00:00Z").has_value());
  BOOST_TEST(parse_iso8601_time("2026-12-31T23:59:59+14:00").has_value());
  BOOST_TEST(parse_iso8601_time("2026-01-31T00:00:00-12:00").has_value());
}

BOOST_AUTO_TEST_CASE(django_durations) {
  BOOST_TEST((parse_iso8601_duration("P0DT00H00M15S").value() == seconds{15}));
  BOOST_TEST((parse_iso8601_duration("P0DT00H00M06.298342S").value() ==
              microseconds{6298342}));
  BOOST_TEST((parse_iso8601_duration("P1DT00H00M00S").value() == hours{24}));
  BOOST_TEST((parse_iso8601_duration("PT1H30M").value() == minutes{90}));
  BOOST_TEST((parse_iso8601_duration("-P0DT00H00M01.5S").value() ==
              milliseconds{-1500}));
  BOOST_TEST(format_iso8601_duration(seconds{15}) == "P0DT00H00M15S");
  BOOST_TEST(format_iso8601_duration(microseconds{6298342}) ==
             "P0DT00H00M06.298342S");
  BOOST_TEST(format_iso8601_duration(hours{72}) == "P3DT00H00M00S");
  BOOST_TEST(format_iso8601_duration(microseconds{-1500000}) ==
             "-P0DT00H00M01.500000S");
}

BOOST_AUTO_TEST_CASE(malformed_durations) {
  for (const char* bad :
       {"", "P", "PT", "15S", "P1H", "PT1D", "PT1.5M", "PT1S2M", "P0DT00H00M15",
        "PT9999999999999S", "P999999999DT00H00M00S", "PT999999999H999999999M",
        "P0DT00H00M06.S"})
    BOOST_TEST(!parse_iso8601_duration(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
