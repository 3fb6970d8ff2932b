// The checks every route family makes on its path and query parameters, in one place so a
// value is refused with the same 400 wherever it is taken: whole numbers in a range, lap
// numbers, one of a few words, channel lists, and a driver named in the query.
#pragma once

#include <expected>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_routes.h"

namespace apex {

// The highest lap number a route takes in its path or query: beyond it is not a race.
inline constexpr int kMaxPathLapNumber = 100000;
inline constexpr int kNoUpperBound = std::numeric_limits<int>::max();

// text as a whole number from min to max (max kNoUpperBound: min or more), else a 400
// naming `what` and the value.
std::expected<int, ApiError> whole_number(std::string_view text, std::string_view what, int min, int max);

// Query parameter `name` as a whole number from min to max; nullopt when absent.
std::expected<std::optional<int>, ApiError> int_query(const RouteRequest& req, std::string_view name, int min,
                                                      int max);

// The {lap_number} path parameter: 0 to kMaxPathLapNumber.
std::expected<int, ApiError> lap_number_path(const RouteRequest& req);

// Query parameter `name` as the index of one of `words` (at most two: the 400 says "a or
// b"); nullopt when absent.
std::expected<std::optional<std::size_t>, ApiError> choice_query(
    const RouteRequest& req, std::string_view name, std::initializer_list<std::string_view> words);

// channels=speed,ath,pbrake_f: 1 to 16 names or aliases, each up to 64 letters, digits,
// '_', '-' or '.'; `defaults` when the parameter is absent.
std::expected<std::vector<std::string>, ApiError> channel_list_query(
    const RouteRequest& req, const std::vector<std::string_view>& defaults);

// The driver query parameter `name` names in the session (a driver_id, vehicle_id, car
// number or car-<number>): nullptr when absent, 404 pointing to `list` when unknown.
std::expected<const DriverSummary*, ApiError> driver_query(const RouteRequest& req, std::string_view name,
                                                           const LoadedSession& session, DriverList list);

}  // namespace apex
