#include "actors/messages.hpp"

#include "actors/error.hpp"
#include "actors/interfaces.hpp"

namespace racecontrol {

const char* to_string(ec code) {
  switch (code) {
    case ec::unspecified:
      return "unspecified";
    case ec::database_unavailable:
      return "database_unavailable";
    case ec::database_constraint:
      return "database_constraint";
    case ec::database_failure:
      return "database_failure";
    case ec::migrations_pending:
      return "migrations_pending";
    case ec::component_failed:
      return "component_failed";
    case ec::not_found:
      return "not_found";
    case ec::unexpected_exception:
      return "unexpected_exception";
    case ec::refused:
      return "refused";
    case ec::fenced:
      return "fenced";
    case ec::database_outcome_unknown:
      return "database_outcome_unknown";
  }
  return "unknown";
}

std::string describe(const caf::error& err) {
  if (err.category() != ec_category::value)
    return caf::to_string(err);
  std::string out = to_string(static_cast<ec>(err.code()));
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0))
    out += ": " + ctx.get_as<std::string>(0);
  return out;
}

std::string refusal_code(const caf::error& err) {
  const auto& ctx = err.context();
  if (!is(err, ec::refused) || ctx.size() < 2 ||
      !ctx.match_element<std::string>(1))
    return "";
  return ctx.get_as<std::string>(1);
}

std::string refusal_field(const caf::error& err) {
  const auto& ctx = err.context();
  if (!is(err, ec::refused) || ctx.size() < 3 ||
      !ctx.match_element<std::string>(2))
    return "";
  return ctx.get_as<std::string>(2);
}

caf::error exception_error(std::exception_ptr& eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    return make_error(ec::unexpected_exception, e.what());
  } catch (...) {
    return make_error(ec::unexpected_exception,
                      "an exception that is not a std::exception");
  }
}

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<database_status>("racecontrol::database_status");
  cfg.add_message_type<node_status>("racecontrol::node_status");
  cfg.add_message_type<cluster_node_info>("racecontrol::cluster_node_info");
  cfg.add_message_type<std::vector<cluster_node_info>>(
      "std::vector<racecontrol::cluster_node_info>");
  // Handles that travel between nodes.
  cfg.add_message_type<cluster_member_actor>(
      "racecontrol::cluster_member_actor");
  cfg.add_message_type<cluster_registry_actor>(
      "racecontrol::cluster_registry_actor");
  cfg.add_message_type<room_supervisor_actor>(
      "racecontrol::room_supervisor_actor");
  cfg.add_message_type<bot_supervisor_actor>(
      "racecontrol::bot_supervisor_actor");
  cfg.add_message_type<token_subscriber_actor>(
      "racecontrol::token_subscriber_actor");
  cfg.add_message_type<bot_record>("racecontrol::bot_record");
  cfg.add_message_type<std::vector<bot_record>>(
      "std::vector<racecontrol::bot_record>");
  cfg.add_message_type<bot_state_change>("racecontrol::bot_state_change");
  cfg.add_message_type<room_record>("racecontrol::room_record");
  cfg.add_message_type<std::vector<room_record>>(
      "std::vector<racecontrol::room_record>");
  cfg.add_message_type<room_context>("racecontrol::room_context");
  cfg.add_message_type<room_progress>("racecontrol::room_progress");
  cfg.add_message_type<room_result>("racecontrol::room_result");
  cfg.add_message_type<result_outcome>("racecontrol::result_outcome");
  cfg.add_message_type<room_closure>("racecontrol::room_closure");
  cfg.add_message_type<room_changes>("racecontrol::room_changes");
  cfg.add_message_type<audit_record>("racecontrol::audit_record");
  cfg.add_message_type<room_update>("racecontrol::room_update");
  cfg.add_message_type<std::vector<room_update>>(
      "std::vector<racecontrol::room_update>");
  cfg.add_message_type<room_assignment>("racecontrol::room_assignment");
  cfg.add_message_type<poll_summary>("racecontrol::poll_summary");
  cfg.add_message_type<room_watch_info>("racecontrol::room_watch_info");
  cfg.add_message_type<std::vector<room_watch_info>>(
      "std::vector<racecontrol::room_watch_info>");
  cfg.add_message_type<race_snapshot>("racecontrol::race_snapshot");
  cfg.add_message_type<fetch_failure>("racecontrol::fetch_failure");
  cfg.add_message_type<socket_event>("racecontrol::socket_event");
  cfg.add_message_type<token_grant>("racecontrol::token_grant");
  cfg.add_message_type<token_news>("racecontrol::token_news");
  cfg.add_message_type<category_goals>("racecontrol::category_goals");
  cfg.add_message_type<bot_info>("racecontrol::bot_info");
  cfg.add_message_type<std::vector<bot_info>>(
      "std::vector<racecontrol::bot_info>");
  cfg.add_message_type<config::secret>("racecontrol::secret");
  // the room automation's
  cfg.add_message_type<race_settings>("racecontrol::race_settings");
  cfg.add_message_type<start_race_request>("racecontrol::start_race_request");
  cfg.add_message_type<start_race_outcome>("racecontrol::start_race_outcome");
  cfg.add_message_type<race_listing>("racecontrol::race_listing");
  cfg.add_message_type<category_races>("racecontrol::category_races");
  cfg.add_message_type<match_open_context>("racecontrol::match_open_context");
  cfg.add_message_type<room_claim_result>("racecontrol::room_claim_result");
  cfg.add_message_type<room_claim_row>("racecontrol::room_claim_row");
  cfg.add_message_type<std::vector<room_claim_row>>(
      "std::vector<racecontrol::room_claim_row>");
  cfg.add_message_type<claim_attempt>("racecontrol::claim_attempt");
  cfg.add_message_type<claim_settled>("racecontrol::claim_settled");
  cfg.add_message_type<claim_refused>("racecontrol::claim_refused");
  cfg.add_message_type<match_reason>("racecontrol::match_reason");
  cfg.add_message_type<plan_query>("racecontrol::plan_query");
  cfg.add_message_type<tournament_plan>("racecontrol::tournament_plan");
  cfg.add_message_type<std::vector<tournament_plan>>(
      "std::vector<racecontrol::tournament_plan>");
  cfg.add_message_type<manual_open>("racecontrol::manual_open");
  cfg.add_message_type<opening_request>("racecontrol::opening_request");
  cfg.add_message_type<opening_result>("racecontrol::opening_result");
  cfg.add_message_type<std::vector<opening_request>>(
      "std::vector<racecontrol::opening_request>");
  cfg.add_message_type<opening_reply>("racecontrol::opening_reply");
  cfg.add_message_type<std::vector<opening_reply>>(
      "std::vector<racecontrol::opening_reply>");
  cfg.add_message_type<std::vector<claim_settled>>(
      "std::vector<racecontrol::claim_settled>");
  cfg.add_message_type<settle_reply>("racecontrol::settle_reply");
  cfg.add_message_type<std::vector<settle_reply>>(
      "std::vector<racecontrol::settle_reply>");
  cfg.add_message_type<std::vector<std::vector<room_update>>>(
      "std::vector<std::vector<racecontrol::room_update>>");
  cfg.add_message_type<update_reply>("racecontrol::update_reply");
  cfg.add_message_type<std::vector<update_reply>>(
      "std::vector<racecontrol::update_reply>");
  cfg.add_message_type<room_answer>("racecontrol::room_answer");
  cfg.add_message_type<match_outcome>("racecontrol::match_outcome");
  cfg.add_message_type<open_pass>("racecontrol::open_pass");
  cfg.add_message_type<open_pass_summary>("racecontrol::open_pass_summary");
  cfg.add_message_type<automation_change>("racecontrol::automation_change");
  cfg.add_message_type<outbox_item>("racecontrol::outbox_item");
  cfg.add_message_type<std::vector<outbox_item>>(
      "std::vector<racecontrol::outbox_item>");
  cfg.add_message_type<outbox_result>("racecontrol::outbox_result");
  // the scheduler's
  cfg.add_message_type<task_record>("racecontrol::task_record");
  cfg.add_message_type<std::vector<task_record>>(
      "std::vector<racecontrol::task_record>");
  cfg.add_message_type<task_schedule>("racecontrol::task_schedule");
  cfg.add_message_type<task_claim>("racecontrol::task_claim");
  cfg.add_message_type<claim_outcome>("racecontrol::claim_outcome");
  cfg.add_message_type<task_finish>("racecontrol::task_finish");
  cfg.add_message_type<task_invalid>("racecontrol::task_invalid");
  // the HTTP API's
  cfg.add_message_type<api_credentials>("racecontrol::api_credentials");
  cfg.add_message_type<api_identity>("racecontrol::api_identity");
  cfg.add_message_type<tournament_query>("racecontrol::tournament_query");
  cfg.add_message_type<tournament_view>("racecontrol::tournament_view");
  cfg.add_message_type<std::vector<tournament_view>>(
      "std::vector<racecontrol::tournament_view>");
  cfg.add_message_type<match_query>("racecontrol::match_query");
  cfg.add_message_type<match_view>("racecontrol::match_view");
  cfg.add_message_type<std::vector<match_view>>(
      "std::vector<racecontrol::match_view>");
  cfg.add_message_type<room_query>("racecontrol::room_query");
  cfg.add_message_type<room_view>("racecontrol::room_view");
  cfg.add_message_type<std::vector<room_view>>(
      "std::vector<racecontrol::room_view>");
  cfg.add_message_type<match_write>("racecontrol::match_write");
  cfg.add_message_type<task_query>("racecontrol::task_query");
  cfg.add_message_type<task_write>("racecontrol::task_write");
  cfg.add_message_type<bot_query>("racecontrol::bot_query");
  cfg.add_message_type<bot_view>("racecontrol::bot_view");
  cfg.add_message_type<std::vector<bot_view>>(
      "std::vector<racecontrol::bot_view>");
  cfg.add_message_type<bot_write>("racecontrol::bot_write");
  cfg.add_message_type<overview_query>("racecontrol::overview_query");
  cfg.add_message_type<overview_view>("racecontrol::overview_view");
  cfg.add_message_type<database_gauges>("racecontrol::database_gauges");
  // the admin console's
  cfg.add_message_type<audit_query>("racecontrol::audit_query");
  cfg.add_message_type<audit_entry>("racecontrol::audit_entry");
  cfg.add_message_type<std::vector<audit_entry>>(
      "std::vector<racecontrol::audit_entry>");
  cfg.add_message_type<api_token_row>("racecontrol::api_token_row");
  cfg.add_message_type<std::vector<api_token_row>>(
      "std::vector<racecontrol::api_token_row>");
  cfg.add_message_type<api_token_order>("racecontrol::api_token_order");
  cfg.add_message_type<api_token_issued>("racecontrol::api_token_issued");
  cfg.add_message_type<link_order>("racecontrol::link_order");
  cfg.add_message_type<link_callback>("racecontrol::link_callback");
  cfg.add_message_type<link_answer>("racecontrol::link_answer");
  cfg.add_message_type<lease_claim>("racecontrol::lease_claim");
  cfg.add_message_type<lease_release>("racecontrol::lease_release");
  cfg.add_message_type<lease_state>("racecontrol::lease_state");
  cfg.add_message_type<api_token_revocation>(
      "racecontrol::api_token_revocation");
  cfg.add_error_category(ec_category::value,
                         [](std::uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           std::string out = to_string(static_cast<ec>(code));
                           // A refusal carries its code and field after
                           // the message (make_refusal).
                           if (ctx.size() >= 1 &&
                               ctx.match_element<std::string>(0))
                             out += ": " + ctx.get_as<std::string>(0);
                           return out;
                         });
}

} // namespace racecontrol
