#include "actors/text_table.hpp"

#include <algorithm>

namespace racecontrol {

namespace {

/// Characters on screen, not bytes.
std::size_t width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
}

std::string render_line(const std::vector<std::string>& cells,
                        const std::vector<std::size_t>& widths) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size())
      line += std::string(widths[i] - width(cells[i]) + 2, ' ');
  }
  return line + "\n";
}

} // namespace

std::string table_cell(std::string_view text) {
  if (text.empty())
    return "-";
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += '?';
    else
      out += c;
  }
  return out;
}

std::string clip(std::string_view text, std::size_t max) {
  if (width(text) <= max)
    return std::string{text};
  std::string out;
  std::size_t chars = 0;
  for (char c : text) {
    bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && ++chars > (max > 3 ? max - 3 : 0))
      break;
    out += c;
  }
  return out + "...";
}

text_table::text_table(std::vector<std::string> header)
    : header_(std::move(header)) {}

void text_table::add(std::vector<std::string> row) {
  while (row.size() < header_.size())
    row.emplace_back();
  for (auto& cell : row)
    cell = table_cell(cell);
  rows_.push_back(std::move(row));
}

std::string text_table::render() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    if (widths.size() < row.size())
      widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_)
    measure(row);
  std::vector<std::string> rule;
  for (std::size_t i = 0; i < header_.size(); ++i)
    rule.emplace_back(widths[i], '-');
  std::string out = render_line(header_, widths) + render_line(rule, widths);
  for (const auto& row : rows_)
    out += render_line(row, widths);
  return out;
}

std::string
key_values(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::size_t w = 0;
  for (const auto& [k, v] : pairs)
    w = std::max(w, width(k));
  std::string out;
  for (const auto& [k, v] : pairs)
    out += k + std::string(w - width(k) + 2, ' ') + table_cell(v) + "\n";
  return out;
}

} // namespace racecontrol
