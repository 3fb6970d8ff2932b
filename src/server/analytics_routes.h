// The analytics routes of one driver's lap times: performance and the original's detailed
// performance card (analytics_driver_routes.cpp). add_analytics_routes puts them among the
// other /api/analytics routes.
#pragma once

#include "server/api_routes.h"

namespace apex {

Route performance_route(const ApiContext& api);
Route detailed_performance_route(const ApiContext& api);

}  // namespace apex
