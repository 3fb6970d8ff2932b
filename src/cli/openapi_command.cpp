// apex openapi: the OpenAPI document `apex serve` answers at /openapi.json, printed without
// starting a server or reading any data. The dashboard's API types are generated from it
// (web/openapi.json holds its output; a test checks the two agree).
#include <cstdio>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/json_text.h"
#include "server/api_server.h"
#include "server/openapi.h"
#include "storage/memory_store.h"

namespace apex::cli {

Action add_openapi_command(CLI::App& app) {
  app.add_subcommand("openapi", "Print the API's OpenAPI document (what /openapi.json answers)");
  return []() {
    // The document depends on the route table only: an empty store builds the same table.
    MemoryStore store;
    SessionCache cache(store, 1 << 20);
    ServerOptions options;
    options.access_log = false;
    ApiServer server(cache, options);
    const std::string text = json_text(openapi_document(server.routes()), 2) + "\n";
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      std::perror("apex: cannot write the document");
      return kExitFailure;
    }
    return kExitOk;
  };
}

}  // namespace apex::cli
