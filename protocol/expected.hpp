#pragma once

// A value or a protocol_error: how protocol/ reports failures without
// exceptions crossing its API (it knows nothing of CAF's own expected).

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace racecontrol::protocol {

/// What went wrong, for a person: "race.entrants[1].user.id: expected a
/// string, got a number".
struct protocol_error {
  std::string message;
};

/// A value or an error of type E.
template <class T, class E = protocol_error>
class expected {
 public:
  expected(T value) : data_(std::in_place_index<0>, std::move(value)) {}

  expected(E error) : data_(std::in_place_index<1>, std::move(error)) {}

  explicit operator bool() const noexcept { return data_.index() == 0; }

  T& operator*() { return std::get<0>(data_); }

  const T& operator*() const { return std::get<0>(data_); }

  T* operator->() { return &std::get<0>(data_); }

  const T* operator->() const { return &std::get<0>(data_); }

  const E& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, E> data_;
};

} // namespace racecontrol::protocol
