// What every subcommand does first: read the configuration (environment, .env,
// then command-line overrides) and open the data source it names.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "storage/object_store.h"

namespace apex::cli {

// Loads the configuration; a bad value prints a message naming the variable and returns nullopt.
std::optional<Config> load_config_or_report(const std::optional<std::string>& data_dir_override);

// Opens the configured store; prints what failed and returns nullptr on error.
std::unique_ptr<ObjectStore> open_store_or_report(const Config& config);

// Exit codes shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // the work itself failed (data, network, disk)
inline constexpr int kExitConfiguration = 2;  // a bad setting or command line: nothing was done

// Errors that a setting must fix (credentials, bucket, region): exit 2; the rest (network,
// data) are kExitFailure.
inline bool is_setting_error(const Error& error) {
  return error.kind == ErrorKind::AuthFailed || error.kind == ErrorKind::BucketMissing ||
         error.kind == ErrorKind::InvalidInput;
}

// The exit code of every command whose data source (folder or bucket) cannot be listed: a
// setting to fix is 2, and so is a data root that is not there (NotFound: a DATA_DIR or
// --data-dir naming no folder). An unreachable endpoint, a timeout, a 5xx or a disk error
// is a failure at run time, 1: the settings may be right and a retry work. One rule, so
// that `apex ls`, `tracks`, `upload` and `download` agree on the same error.
inline int exit_code_for_source_error(const Error& error) {
  return is_setting_error(error) || error.kind == ErrorKind::NotFound ? kExitConfiguration : kExitFailure;
}

}  // namespace apex::cli
