#include "persistence/migration_set.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
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

/// Reads the `-- migrate: ...` directives of the leading comment block
/// (only that block counts, so a statement that happens to contain the
/// words does not change how the migration is applied).
void read_directives(migration& m) {
  std::istringstream in(m.up_sql);
  std::string line;
  const std::string retires = "migrate: retires-verify ";
  while (std::getline(in, line)) {
    if (line.rfind("--", 0) != 0)
      break;
    if (line.find("migrate: manual") != std::string::npos)
      m.manual = true;
    if (auto at = line.find(retires); at != std::string::npos) {
      std::istringstream versions(line.substr(at + retires.size()));
      for (std::string v; versions >> v;)
        m.retires_verify.push_back(v);
    }
  }
}

/// The parts of "YYYYMMDD_NNNNNN_name.kind.sql"; false when it is not one.
bool split_file_name(const std::string& file, std::string& version,
                     std::string& name, std::string& kind) {
  auto digits = [&](size_t from, size_t n) {
    if (file.size() < from + n)
      return false;
    for (size_t i = from; i < from + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(file[i])))
        return false;
    return true;
  };
  if (!digits(0, 8) || file.size() < 16 || file[8] != '_' || !digits(9, 6) ||
      file.size() < 17 || file[15] != '_')
    return false;
  version = file.substr(0, 15);
  static constexpr const char* kinds[] = {".up.sql", ".down.sql",
                                          ".verify.sql"};
  for (const char* suffix : kinds) {
    std::string s{suffix};
    if (file.size() > 16 + s.size() &&
        file.compare(file.size() - s.size(), s.size(), s) == 0) {
      name = file.substr(16, file.size() - 16 - s.size());
      kind = s.substr(1, s.size() - 5);
      return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
      });
    }
  }
  return false;
}

} // namespace

migration_set migration_set::from_files(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::map<std::string, migration> by_version;
  for (const auto& [file, content] : files) {
    std::string version, name, kind;
    if (!split_file_name(file, version, name, kind))
      throw std::runtime_error(
          "migration file '" + file +
          "' is not named YYYYMMDD_NNNNNN_name.up.sql or .down.sql");
    auto& mig = by_version[version];
    if (!mig.name.empty() && mig.name != name)
      throw std::runtime_error("migrations " + mig.version + "_" + mig.name +
                               " and " + file + " share version " + version);
    mig.version = version;
    mig.name = name;
    if (kind == "up")
      mig.up_sql = content;
    else if (kind == "down")
      mig.down_sql = content;
    else
      mig.verify_sql = content;
  }
  migration_set set;
  for (auto& [version, mig] : by_version) {
    if (mig.up_sql.empty())
      throw std::runtime_error("migration " + version + "_" + mig.name +
                               " has no .up.sql");
    if (mig.down_sql.empty())
      throw std::runtime_error("migration " + mig.up_file() +
                               " has no .down.sql: every migration must be "
                               "reversible");
    mig.checksum = sha256_hex(mig.up_sql);
    read_directives(mig);
    set.migrations_.push_back(std::move(mig));
  }
  return set;
}

migration_set migration_set::embedded() {
  return from_files(embedded_migration_files());
}

migration_set migration_set::from_directory(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    throw std::runtime_error("cannot read migrations directory " +
                             dir.string() + ": " + ec.message());
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
