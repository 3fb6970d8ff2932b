// A race of the shared real data (../shared/data/gr-cup), loaded and analysed as `apex serve`
// does, for the tests that check APEX against it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "load/session_loader.h"
#include "storage/local_store.h"

namespace apex::test {

struct RealSession {
  Session session;
  SessionAnalysis analysis;
};

// The session, or nullopt after a test failure naming what could not be found or loaded.
inline std::optional<RealSession> load_real_session(const std::filesystem::path& root,
                                                    std::string_view track_id, std::string_view session_id) {
  LocalStore store(root);
  auto catalog = Catalog::build(store);
  if (!catalog) {
    ADD_FAILURE() << catalog.error().describe();
    return std::nullopt;
  }
  const TrackCatalog* track = catalog->find_track(track_id);
  const SessionFiles* files = track ? track->find_session(session_id) : nullptr;
  if (!files) {
    ADD_FAILURE() << "no session " << session_id << " of track " << track_id << " in " << root;
    return std::nullopt;
  }
  auto session = load_session(store, *track, *files);
  if (!session) {
    ADD_FAILURE() << session.error().describe();
    return std::nullopt;
  }
  auto analysis = analyse_session(*session);
  return RealSession{std::move(*session), std::move(analysis)};
}

}  // namespace apex::test
