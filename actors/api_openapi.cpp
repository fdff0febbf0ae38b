// The OpenAPI 3 document of the HTTP API, written by hand. The test
// tests/actors/http_api_test.cpp checks that its paths and methods are
// exactly the routes api_router() registers, so it cannot drift.

#include "actors/http_api.hpp"

namespace racecontrol {

namespace {

const char* const document = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "racecontrol",
    "version": "1",
    "description": "Tournament race rooms on racetime.gg. Every /api/ endpoint but /api/openapi.json needs `Authorization: Bearer rc_...` with the scope named in its description (`admin` allows all) and shows only the token's organization; lists are pages by ascending id: `?limit=` (1-200, default 50) and `?cursor=` (the previous page's `next`), answered `{\"items\": [...], \"next\": cursor|null}`. Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
      "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
      "Page": {"type": "object", "required": ["items", "next"], "properties": {"items": {"type": "array", "items": {}}, "next": {"type": "string", "nullable": true}}},
      "Tournament": {"type": "object", "properties": {"id": {"type": "integer"}, "organization_id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string", "nullable": true}, "is_active": {"type": "boolean"}, "racetime_bot_id": {"type": "integer", "nullable": true}, "racetime_auto_create_rooms": {"type": "boolean"}, "room_open_minutes_before": {"type": "integer"}, "require_racetime_link": {"type": "boolean"}, "racetime_default_goal": {"type": "string", "nullable": true}, "discord_notification_channel_id": {"type": "string", "nullable": true}}},
      "Player": {"type": "object", "properties": {"user_id": {"type": "integer"}, "display_name": {"type": "string"}, "racetime_id": {"type": "string", "nullable": true}, "racetime_name": {"type": "string", "nullable": true}, "racetime_linked": {"type": "boolean"}, "entrant_status": {"type": "string", "nullable": true}, "finish_place": {"type": "integer", "nullable": true}, "finish_time": {"type": "string", "nullable": true, "description": "ISO 8601 duration"}}},
      "Room": {"type": "object", "properties": {"id": {"type": "integer"}, "slug": {"type": "string", "nullable": true}, "url": {"type": "string", "nullable": true}, "category": {"type": "string"}, "status": {"type": "string", "description": "creating, unknown, or racetime.gg's status"}, "status_message": {"type": "string", "nullable": true}, "parked": {"type": "boolean"}, "match_id": {"type": "integer", "nullable": true}, "bot_id": {"type": "integer", "nullable": true}, "created_at": {"type": "string", "format": "date-time", "nullable": true}, "requested_by": {"type": "string", "nullable": true}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/Player"}}}},
      "Match": {"type": "object", "properties": {"id": {"type": "integer"}, "tournament_id": {"type": "integer"}, "title": {"type": "string"}, "scheduled_at": {"type": "string", "format": "date-time", "nullable": true}, "started_at": {"type": "string", "format": "date-time", "nullable": true}, "finished_at": {"type": "string", "format": "date-time", "nullable": true}, "racetime_goal": {"type": "string", "nullable": true}, "racetime_invitational": {"type": "boolean"}, "racetime_auto_create": {"type": "boolean"}, "players": {"type": "array", "items": {"$ref": "#/components/schemas/Player"}}, "room": {"allOf": [{"$ref": "#/components/schemas/Room"}], "nullable": true}, "room_reason": {"type": "object", "nullable": true, "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "MatchWrite": {"type": "object", "additionalProperties": false, "properties": {"tournament_id": {"type": "integer", "description": "create only (required there)"}, "title": {"type": "string", "maxLength": 255, "description": "required to create"}, "scheduled_at": {"type": "string", "format": "date-time", "nullable": true}, "goal": {"type": "string", "maxLength": 255, "nullable": true}, "invitational": {"type": "boolean"}, "auto_create": {"type": "boolean"}, "players": {"type": "array", "items": {"type": "integer"}, "description": "user ids; replaces the players"}}},
      "Bot": {"type": "object", "properties": {"id": {"type": "integer"}, "category": {"type": "string"}, "name": {"type": "string"}, "status": {"type": "string"}, "status_message": {"type": "string", "nullable": true}, "has_token": {"type": "boolean"}, "goals": {"type": "array", "items": {"type": "string"}}}},
      "RoomStatus": {"type": "object", "additionalProperties": false, "required": ["has_room", "room_slug", "room_url", "created_at", "invited_count"], "properties": {"has_room": {"type": "boolean"}, "room_slug": {"type": "string", "nullable": true}, "room_url": {"type": "string", "nullable": true}, "created_at": {"type": "string", "format": "date-time", "nullable": true}, "invited_count": {"type": "integer", "nullable": true}}},
      "RoomAnswer": {"type": "object", "additionalProperties": false, "required": ["room_slug", "room_url", "invited_players", "goal"], "properties": {"room_slug": {"type": "string"}, "room_url": {"type": "string"}, "invited_players": {"type": "integer"}, "goal": {"type": "string"}}},
      "RacetimeLink": {"type": "object", "required": ["user_id", "url", "expires_at"], "properties": {"user_id": {"type": "integer"}, "url": {"type": "string", "description": "<link.public_url>/link/racetime?state=..."}, "expires_at": {"type": "string", "format": "date-time"}}},
      "RacetimeUnlink": {"type": "object", "required": ["user_id", "unlinked_racetime_name"], "properties": {"user_id": {"type": "integer"}, "unlinked_racetime_name": {"type": "string", "nullable": true}}},
      "RoomOverrides": {"type": "object", "additionalProperties": false, "properties": {"goal": {"type": "string", "maxLength": 255}, "invitational": {"type": "boolean"}}}
    },
    "responses": {
      "Error": {"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Page": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/healthz": {"get": {"summary": "The process is alive", "security": [], "responses": {"200": {"description": "ok"}}}},
    "/readyz": {"get": {"summary": "MariaDB answers and no migration is pending", "security": [], "responses": {"200": {"description": "ready"}, "503": {"description": "not ready, with the reason"}}}},
    "/api/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/tournaments": {"get": {"summary": "The organization's tournaments (tournaments:read)", "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}], "responses": {"200": {"$ref": "#/components/responses/Page"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/api/tournaments/{id}": {"get": {"summary": "One tournament with its RaceTime settings (tournaments:read)", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "the tournament", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tournament"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/matches": {
      "get": {"summary": "The organization's matches (matches:read)", "parameters": [{"name": "tournament_id", "in": "query", "schema": {"type": "integer"}}, {"name": "upcoming", "in": "query", "description": "true: not finished, scheduled at most an hour ago or later", "schema": {"type": "boolean"}}, {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}], "responses": {"200": {"$ref": "#/components/responses/Page"}, "400": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Create a match (matches:write); 422 players_not_linked when the tournament requires linked accounts", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MatchWrite"}}}}, "responses": {"201": {"description": "the match", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Match"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/matches/{id}": {
      "get": {"summary": "One match with players, room and the reason it has none (matches:read)", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "the match", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Match"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
      "patch": {"summary": "Change schedule, goal, flags or players (matches:write); null clears scheduled_at and goal", "parameters": [{"$ref": "#/components/parameters/id"}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MatchWrite"}}}}, "responses": {"200": {"description": "the match", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Match"}}}}, "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/matches/{id}/racetime-room": {
      "get": {"summary": "Seed 001's Check Room Status (rooms:read)", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "the room or has_room false", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RoomStatus"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Seed 001's manual room creation (rooms:write)", "parameters": [{"$ref": "#/components/parameters/id"}], "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RoomOverrides"}}}}, "responses": {"201": {"description": "created now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RoomAnswer"}}}}, "200": {"description": "the match had its room", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RoomAnswer"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}, "504": {"$ref": "#/components/responses/Error"}}}
    },
    "/api/rooms": {"get": {"summary": "The organization's rooms (rooms:read)", "parameters": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "invitational", "pending", "in_progress", "finished", "cancelled"]}}, {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}], "responses": {"200": {"$ref": "#/components/responses/Page"}, "400": {"$ref": "#/components/responses/Error"}}}},
    "/api/rooms/{id}": {"get": {"summary": "One room with status and results (rooms:read)", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "the room", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Room"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/api/bots": {"get": {"summary": "Every bot's live status, never its credentials (bots:read)", "responses": {"200": {"description": "{items: [Bot], next: null}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}}},
    "/api/users/{id}/racetime-link": {
      "post": {"summary": "A one-time RaceTime account link for a player of the organization (matches:write): the user opens `url` in a browser within 15 minutes; the state in it is stored only as SHA-256", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"201": {"description": "the link", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RacetimeLink"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Unlink the user's RaceTime account and forget its tokens (matches:write); audited", "parameters": [{"$ref": "#/components/parameters/id"}], "responses": {"200": {"description": "unlinked (or was not linked)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RacetimeUnlink"}}}}, "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
    },
    "/link/racetime": {"get": {"summary": "Opened by the player in a browser: redirects to racetime.gg's /o/authorize", "security": [], "parameters": [{"name": "state", "in": "query", "required": true, "schema": {"type": "string"}}], "responses": {"302": {"description": "to racetime.gg"}, "400": {"description": "an HTML page: unknown, used or expired link"}, "503": {"description": "linking is not configured"}}}},
    "/link/racetime/callback": {"get": {"summary": "racetime.gg's redirect back: exchanges the code, reads /o/userinfo, stores the account (tokens encrypted) and shows an HTML page", "security": [], "parameters": [{"name": "state", "in": "query", "required": true, "schema": {"type": "string"}}, {"name": "code", "in": "query", "schema": {"type": "string"}}, {"name": "error", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "an HTML page: linked as NAME"}, "400": {"description": "an HTML page: why not (unknown, used or expired link, account linked to another user, authorization refused)"}, "502": {"description": "racetime.gg refused the code"}, "504": {"description": "racetime.gg did not answer"}}}}
  }
})json";

} // namespace

const std::string& openapi_document() {
  static const std::string text = document;
  return text;
}

} // namespace racecontrol
