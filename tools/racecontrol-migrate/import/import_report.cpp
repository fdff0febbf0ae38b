#include "tools/racecontrol-migrate/import/import_report.hpp"

#include "protocol/json.hpp"

#include <cstdio>
#include <sstream>

namespace racecontrol::tools::import {

table_report& import_report::table(const std::string& source_table) {
  for (auto& t : tables)
    if (t.source_table == source_table)
      return t;
  tables.push_back({});
  tables.back().source_table = source_table;
  return tables.back();
}

bool import_report::valid() const {
  if (!error.empty())
    return false;
  for (const auto& v : validations)
    if (!v.ok)
      return false;
  return true;
}

std::uint64_t import_report::rows_imported_this_run() const {
  std::uint64_t n = 0;
  for (const auto& t : tables)
    n += t.imported_this_run;
  return n;
}

std::string import_report::text() const {
  std::ostringstream out;
  out << "SahasrahBot import" << (dry_run ? " (DRY RUN: nothing was kept)" : "")
      << ", phases:";
  for (const auto& p : phases)
    out << " " << p;
  char line[256];
  std::snprintf(line, sizeof line,
                "\n\n%-12s %-30s %-32s %10s %10s %10s %12s\n", "phase",
                "source table", "target table", "source", "imported", "skipped",
                "rows/s");
  out << line;
  for (const auto& t : tables) {
    double rate = t.seconds > 0
                      ? (t.imported_this_run + t.skipped_this_run) / t.seconds
                      : 0;
    std::snprintf(
        line, sizeof line, "%-12s %-30s %-32s %10llu %10llu %10llu %12.0f\n",
        t.phase.c_str(), t.source_table.c_str(), t.target_table.c_str(),
        static_cast<unsigned long long>(t.source_rows),
        static_cast<unsigned long long>(t.imported),
        static_cast<unsigned long long>(t.skipped), rate);
    out << line;
  }
  if (!adjustments.empty()) {
    out << "\nvalues changed by documented rules:\n";
    for (const auto& a : adjustments) {
      out << "  " << a.source_table << ": " << a.rule << " (" << a.rows
          << " rows)\n";
      for (const auto& e : a.examples)
        out << "      e.g. " << e << "\n";
    }
  }
  if (!skipped.empty()) {
    out << "\nskipped rows (" << skipped.size() << "):\n";
    std::size_t shown = 0;
    for (const auto& s : skipped) {
      if (++shown > 50) {
        out << "  ... and " << skipped.size() - 50
            << " more (all of them are in the JSON report and in the table "
               "migration_skipped)\n";
        break;
      }
      out << "  " << s.source_table << " id " << s.source_id << ": " << s.reason
          << "\n";
    }
  }
  if (!not_imported.empty()) {
    out << "\nnot imported, deliberately:\n";
    for (const auto& n : not_imported)
      out << "  " << n.source_table << " (" << n.rows << " rows): " << n.reason
          << "\n";
  }
  if (!choices.empty()) {
    out << "\nchoices seed 002 leaves open, as this import makes them:\n";
    for (const auto& ch : choices)
      out << "  " << ch << "\n";
  }
  out << "\nrows written with " << bulk_write << "\n";
  out << "\nvalidation:\n";
  for (const auto& v : validations)
    out << "  [" << (v.ok ? "ok" : "FAILED") << "] " << v.phase << ": "
        << v.check << (v.detail.empty() ? "" : " — " + v.detail) << "\n";
  if (!error.empty())
    out << "\nSTOPPED before it finished: " << error << "\n";
  std::snprintf(line, sizeof line,
                "\n%llu rows imported in %.1f s (validation %.1f s); "
                "validation %s\n",
                static_cast<unsigned long long>(rows_imported_this_run()),
                seconds, validation_seconds, valid() ? "passed" : "FAILED");
  out << line;
  return out.str();
}

std::string import_report::json() const {
  using protocol::json_writer;
  rapidjson::StringBuffer buffer;
  json_writer w(buffer);
  w.StartObject();
  protocol::write_bool(w, "dry_run", dry_run);
  protocol::write_bool(w, "valid", valid());
  protocol::write_string(w, "error", error);
  w.Key("seconds");
  w.Double(seconds);
  w.Key("validation_seconds");
  w.Double(validation_seconds);
  w.Key("steps");
  w.StartObject();
  for (const auto& [name, secs] : steps) {
    w.Key(name.c_str());
    w.Double(secs);
  }
  w.EndObject();
  protocol::write_string(w, "bulk_write", bulk_write);
  w.Key("phases");
  w.StartArray();
  for (const auto& p : phases)
    w.String(p.c_str());
  w.EndArray();
  w.Key("tables");
  w.StartArray();
  for (const auto& t : tables) {
    w.StartObject();
    protocol::write_string(w, "phase", t.phase);
    protocol::write_string(w, "source_table", t.source_table);
    protocol::write_string(w, "target_table", t.target_table);
    protocol::write_int(w, "source_rows",
                        static_cast<std::int64_t>(t.source_rows));
    protocol::write_int(w, "imported", static_cast<std::int64_t>(t.imported));
    protocol::write_int(w, "skipped", static_cast<std::int64_t>(t.skipped));
    protocol::write_int(w, "imported_this_run",
                        static_cast<std::int64_t>(t.imported_this_run));
    protocol::write_int(w, "skipped_this_run",
                        static_cast<std::int64_t>(t.skipped_this_run));
    w.Key("seconds");
    w.Double(t.seconds);
    w.Key("read_seconds");
    w.Double(t.read_seconds);
    w.Key("write_seconds");
    w.Double(t.write_seconds);
    w.Key("prepare_seconds");
    w.Double(t.prepare_seconds);
    w.Key("reader_waited_seconds");
    w.Double(t.reader_waited_seconds);
    w.Key("writers_waited_seconds");
    w.Double(t.writers_waited_seconds);
    w.Key("turn_waited_seconds");
    w.Double(t.turn_waited_seconds);
    w.EndObject();
  }
  w.EndArray();
  w.Key("skipped");
  w.StartArray();
  for (const auto& s : skipped) {
    w.StartObject();
    protocol::write_string(w, "source_table", s.source_table);
    protocol::write_int(w, "source_id", s.source_id);
    protocol::write_string(w, "reason", s.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("adjustments");
  w.StartArray();
  for (const auto& a : adjustments) {
    w.StartObject();
    protocol::write_string(w, "source_table", a.source_table);
    protocol::write_string(w, "rule", a.rule);
    protocol::write_int(w, "rows", static_cast<std::int64_t>(a.rows));
    w.Key("examples");
    w.StartArray();
    for (const auto& e : a.examples)
      w.String(e.c_str());
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("not_imported");
  w.StartArray();
  for (const auto& n : not_imported) {
    w.StartObject();
    protocol::write_string(w, "source_table", n.source_table);
    protocol::write_int(w, "rows", static_cast<std::int64_t>(n.rows));
    protocol::write_string(w, "reason", n.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("choices");
  w.StartArray();
  for (const auto& ch : choices)
    w.String(ch.c_str());
  w.EndArray();
  w.Key("validations");
  w.StartArray();
  for (const auto& v : validations) {
    w.StartObject();
    protocol::write_string(w, "phase", v.phase);
    protocol::write_string(w, "check", v.check);
    protocol::write_bool(w, "ok", v.ok);
    protocol::write_string(w, "detail", v.detail);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

} // namespace racecontrol::tools::import
