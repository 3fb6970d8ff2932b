// Parser of reference/track_facts.json, the circuit and car facts with their sources. The
// file is written by hand: every field is checked, and an error names the file and the
// entry ("facts.json: tracks[3]: 'turns' must be a whole number from 0 to 1000").
#pragma once

#include <string_view>

#include "core/error.h"
#include "model/track_facts.h"

namespace apex {

// Parses the JSON text of a facts file; origin names it in error messages.
Result<TrackFactsBook> parse_track_facts(std::string_view json_text, std::string_view origin);

}  // namespace apex
