#pragma once

// How ODB moves racecontrol's time types in and out of MariaDB. Included by
// every generated *-odb.hxx (the ODB compiler's --hxx-prologue).

#include "persistence/entities/timestamp.hxx"

#include <odb/mysql/traits.hxx>

namespace racecontrol::detail {

void to_mysql_time(MYSQL_TIME& out, timestamp value);
timestamp from_mysql_time(const MYSQL_TIME& in);
void to_mysql_time(MYSQL_TIME& out, race_duration value);
race_duration duration_from_mysql_time(const MYSQL_TIME& in);

} // namespace racecontrol::detail

namespace odb::mysql {

template <>
class value_traits<racecontrol::timestamp, id_datetime> {
 public:
  using value_type = racecontrol::timestamp;
  using query_type = racecontrol::timestamp;
  using image_type = MYSQL_TIME;

  static void set_value(value_type& v, const MYSQL_TIME& i, bool is_null) {
    v = is_null ? value_type{} : racecontrol::detail::from_mysql_time(i);
  }

  static void set_image(MYSQL_TIME& i, bool& is_null, const value_type& v) {
    is_null = false;
    racecontrol::detail::to_mysql_time(i, v);
  }
};

template <>
class value_traits<racecontrol::race_duration, id_time> {
 public:
  using value_type = racecontrol::race_duration;
  using query_type = racecontrol::race_duration;
  using image_type = MYSQL_TIME;

  static void set_value(value_type& v, const MYSQL_TIME& i, bool is_null) {
    v = is_null ? value_type{}
                : racecontrol::detail::duration_from_mysql_time(i);
  }

  static void set_image(MYSQL_TIME& i, bool& is_null, const value_type& v) {
    is_null = false;
    racecontrol::detail::to_mysql_time(i, v);
  }
};

} // namespace odb::mysql
