#include "protocol/token_source.hpp"

namespace racecontrol::protocol {

namespace {

class fixed_token_source : public token_source {
 public:
  explicit fixed_token_source(bearer_token token) : token_(std::move(token)) {}

  std::optional<bearer_token> current() const override { return token_; }

  void refused(const std::string&) override {}

  std::shared_ptr<void> subscribe(std::function<void()> on_new) override {
    return std::make_shared<std::function<void()>>(std::move(on_new));
  }

 private:
  bearer_token token_;
};

} // namespace

std::shared_ptr<token_source>
fixed_token(std::string value,
            std::chrono::steady_clock::time_point expires_at) {
  return std::make_shared<fixed_token_source>(
      bearer_token{std::move(value), expires_at});
}

} // namespace racecontrol::protocol
