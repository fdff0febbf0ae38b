#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace racecontrol::persistence {

/// One schema migration: `migrations/<version>_<name>.up.sql` and its
/// `.down.sql`, and optionally `.verify.sql`: queries that must each return
/// 0 once the migration ran ("trust, but verify"). The version is
/// `YYYYMMDD_NNNNNN`: the date it was written and a sequence number that
/// only grows, so versions sort in apply order.
struct migration {
  std::string version;
  std::string name;
  std::string up_sql;
  std::string down_sql;
  std::string verify_sql;
  /// SHA-256 (hex) of the up script: what was applied. Editing an applied
  /// migration changes it, and the runner refuses to continue.
  std::string checksum;
  /// Marked `-- migrate: manual` in its first lines: `up` skips it unless an
  /// operator names it (`up --to VERSION --include-manual`).
  bool manual = false;
  /// Versions whose .verify.sql this migration makes meaningless (e.g. it
  /// drops the column they check): `-- migrate: retires-verify VERSION`.
  std::vector<std::string> retires_verify;

  /// "<version>_<name>.up.sql", for messages.
  std::string up_file() const;
  std::string down_file() const;
};

/// The ordered migrations of the project.
class migration_set {
 public:
  /// The migrations compiled into this binary from migrations/.
  static migration_set embedded();

  /// The migrations in a directory (for `racecontrol-migrate --migrations`
  /// and tests). Throws std::runtime_error naming the offending file.
  static migration_set from_directory(const std::filesystem::path& dir);

  /// Builds a set from (file name, content) pairs; both factories use it.
  static migration_set
  from_files(const std::vector<std::pair<std::string, std::string>>& files);

  const std::vector<migration>& all() const noexcept { return migrations_; }

  const migration* find(std::string_view version) const;

 private:
  std::vector<migration> migrations_;
};

/// SHA-256 of `text` as lower-case hex.
std::string sha256_hex(std::string_view text);

} // namespace racecontrol::persistence
