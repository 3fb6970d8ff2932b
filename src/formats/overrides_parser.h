// The overrides file an engineer writes in a track folder (apex-overrides.json; the format
// is in docs/overrides.md). Strict: an unknown key or a wrong type is an error naming the
// file and the place, so a typo never silently does nothing.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.h"
#include "model/overrides.h"

namespace apex {

// The file's name, wherever it sits in a track folder.
inline constexpr std::string_view kOverridesFileName = "apex-overrides.json";

// Session name as written in the file ("R1", "Race 1") -> its overrides.
using OverridesBySession = std::map<std::string, SessionOverrides>;

Result<OverridesBySession> parse_overrides(std::string_view bytes, std::string_view object_key);

}  // namespace apex
