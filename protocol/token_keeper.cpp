#include "protocol/token_keeper.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <mutex>
#include <vector>

namespace racecontrol::protocol {

struct token_keeper::impl : token_source,
                            std::enable_shared_from_this<token_keeper::impl> {
  using listener = std::function<void()>;

  impl(boost::asio::io_context& io, racetime_api& api, client_credentials creds,
       token_keeper_options options)
      : api(api), creds(std::move(creds)), options(options),
        strand(boost::asio::make_strand(io)), timer(strand),
        retry(options.retry) {}

  // --- token_source (any thread) -----------------------------------------

  std::optional<bearer_token> current() const override {
    std::lock_guard<std::mutex> guard{mtx};
    return token;
  }

  void refused(const std::string& value) override {
    auto self = shared_from_this();
    boost::asio::post(strand, [self, value] {
      // Once per token, and not while failing: the sessions of every room
      // report the same token, and a keeper in backoff keeps its pace.
      if (self->stopped || self->in_flight || self->renewing_for == value ||
          self->retry.attempts() > 0)
        return;
      if (auto now = self->current(); !now || now->value != value)
        return; // a newer token is current already
      {
        std::lock_guard<std::mutex> guard{self->mtx};
        self->renewing_for = value;
      }
      self->timer.cancel();
      self->fetch();
    });
  }

  std::shared_ptr<void> subscribe(listener on_new) override {
    auto handle = std::make_shared<listener>(std::move(on_new));
    std::lock_guard<std::mutex> guard{mtx};
    listeners.erase(std::remove_if(listeners.begin(), listeners.end(),
                                   [](const auto& l) {
                                     return l.expired();
                                   }),
                    listeners.end());
    listeners.push_back(handle);
    return handle;
  }

  // --- renewing (on the strand) -----------------------------------------

  void fetch() {
    if (stopped || in_flight)
      return;
    in_flight = true;
    auto self = shared_from_this();
    api.client_credentials_token(
        creds, [self](racetime_result<token_response> r) {
          // The answer comes on the HTTP client's strand; state lives on ours.
          boost::asio::post(self->strand, [self, r = std::move(r)] {
            self->in_flight = false;
            if (self->stopped)
              return;
            if (r)
              self->obtained(*r);
            else
              self->failed(r.error());
          });
        });
  }

  void obtained(const token_response& t) {
    auto now = std::chrono::steady_clock::now();
    auto lifetime = std::chrono::seconds{t.expires_in};
    {
      std::lock_guard<std::mutex> guard{mtx};
      token = bearer_token{t.access_token, now + lifetime};
    }
    retry.reset();
    auto renew = std::chrono::duration_cast<std::chrono::milliseconds>(
        lifetime * options.renew_at);
    schedule(renew);
    // Sockets first: whoever reacts to the event finds them told already.
    tell_listeners();
    report({token_event::kind::obtained,
            "token for " + creds.client_id + " valid for " +
                std::to_string(t.expires_in) + " s",
            std::chrono::milliseconds{0}});
  }

  void failed(const racetime_error& e) {
    if (e.credentials_rejected()) {
      stopped = true;
      report({token_event::kind::credentials_rejected, e.message,
              std::chrono::milliseconds{0}});
      return;
    }
    auto delay = retry.next_delay();
    if (e.what == racetime_error::kind::http && e.http.retry_after) {
      auto asked = std::min<std::chrono::milliseconds>(*e.http.retry_after,
                                                       options.max_retry_after);
      delay = std::max(delay, asked);
    }
    schedule(delay);
    report({token_event::kind::retrying, e.message, delay});
  }

  void schedule(std::chrono::milliseconds in) {
    timer.expires_after(in);
    auto self = shared_from_this();
    timer.async_wait([self](boost::system::error_code ec) {
      if (!ec)
        self->fetch();
    });
  }

  void report(const token_event& e) {
    std::lock_guard<std::recursive_mutex> guard{callback_mtx};
    if (on_event && callbacks_enabled)
      on_event(e);
  }

  void tell_listeners() {
    std::vector<std::shared_ptr<listener>> live;
    {
      std::lock_guard<std::mutex> guard{mtx};
      for (const auto& l : listeners)
        if (auto fn = l.lock())
          live.push_back(std::move(fn));
    }
    for (const auto& fn : live)
      (*fn)();
  }

  racetime_api& api;
  client_credentials creds;
  token_keeper_options options;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  boost::asio::steady_timer timer;
  backoff retry;
  std::function<void(const token_event&)> on_event;
  bool stopped = false;
  bool in_flight = false;
  /// The refused token a renewal was asked for (written on the strand,
  /// under mtx for usable()).
  std::string renewing_for;
  mutable std::mutex mtx; ///< token, renewing_for and listeners
  std::optional<bearer_token> token;
  std::vector<std::weak_ptr<listener>> listeners;
  std::recursive_mutex callback_mtx;
  bool callbacks_enabled = true;
};

token_keeper::token_keeper(boost::asio::io_context& io, racetime_api& api,
                           client_credentials creds,
                           token_keeper_options options)
    : impl_(std::make_shared<impl>(io, api, std::move(creds), options)) {}

token_keeper::~token_keeper() {
  stop();
}

void token_keeper::start(std::function<void(const token_event&)> on_event) {
  auto state = impl_;
  boost::asio::post(state->strand,
                    [state, on_event = std::move(on_event)]() mutable {
                      state->on_event = std::move(on_event);
                      state->fetch();
                    });
}

void token_keeper::stop() {
  {
    std::lock_guard<std::recursive_mutex> guard{impl_->callback_mtx};
    impl_->callbacks_enabled = false;
  }
  auto state = impl_;
  boost::asio::post(state->strand, [state] {
    state->stopped = true;
    state->timer.cancel();
  });
}

std::optional<bearer_token> token_keeper::current() const {
  return impl_->current();
}

std::optional<bearer_token> token_keeper::usable() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  const auto& t = impl_->token;
  if (!t || t->expires_at <= std::chrono::steady_clock::now() ||
      t->value == impl_->renewing_for)
    return std::nullopt;
  return t;
}

std::shared_ptr<token_source> token_keeper::source() const {
  return impl_;
}

} // namespace racecontrol::protocol
