#include "persistence/migration_set.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace racecontrol::persistence {

// Defined in the file CMake generates from migrations/*.sql.
std::vector<std::pair<std::string, std::string>> embedded_migration_files();

std::string migration::up_file() const {
  return version + "_" + name + ".up.sql";
}

std::string migration::down_file() const {
  return version + "_" + name + ".down.sql";
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

namespace {

bool marked_manual(const std::string& sql) {
  // Only the leading comment block counts, so a statement that happens to
  // contain the words does not change how the migration is applied.
  std::istringstream in(sql);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("--", 0) != 0)
      break;
    if (line.find("migrate: manual") != std::string::npos)
      return true;
  }
  return false;
}

} // namespace

migration_set migration_set::from_files(
  const std::vector<std::pair<std::string, std::string>>& files) {
  static const std::regex pattern(
    R"(^(\d{8}_\d{6})_([a-z0-9_]+)\.(up|down)\.sql$)");
  std::map<std::string, migration> by_version;
  for (const auto& [file, content] : files) {
    std::smatch m;
    if (!std::regex_match(file, m, pattern))
      throw std::runtime_error(
        "migration file '" + file
        + "' is not named YYYYMMDD_NNNNNN_name.up.sql or .down.sql");
    auto& mig = by_version[m[1]];
    if (!mig.name.empty() && mig.name != m[2].str())
      throw std::runtime_error("migrations " + mig.version + "_" + mig.name
                               + " and " + file + " share version "
                               + m[1].str());
    mig.version = m[1];
    mig.name = m[2];
    (m[3] == "up" ? mig.up_sql : mig.down_sql) = content;
  }
  migration_set set;
  for (auto& [version, mig] : by_version) {
    if (mig.up_sql.empty())
      throw std::runtime_error("migration " + version + "_" + mig.name
                               + " has no .up.sql");
    if (mig.down_sql.empty())
      throw std::runtime_error("migration " + mig.up_file()
                               + " has no .down.sql: every migration must be "
                                 "reversible");
    mig.checksum = sha256_hex(mig.up_sql);
    mig.manual = marked_manual(mig.up_sql);
    set.migrations_.push_back(std::move(mig));
  }
  return set;
}

migration_set migration_set::embedded() {
  return from_files(embedded_migration_files());
}

migration_set
migration_set::from_directory(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    throw std::runtime_error("cannot read migrations directory "
                             + dir.string() + ": " + ec.message());
  for (const auto& entry : it) {
    auto name = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().extension() != ".sql")
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    files.emplace_back(name, content.str());
  }
  return from_files(files);
}

const migration* migration_set::find(std::string_view version) const {
  auto it = std::find_if(migrations_.begin(), migrations_.end(),
                         [&](const migration& m) {
                           return m.version == version;
                         });
  return it == migrations_.end() ? nullptr : &*it;
}

} // namespace racecontrol::persistence
