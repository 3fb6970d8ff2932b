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

// Errors that a setting must fix (credentials, bucket, region): exit 2, as the access check
// of upload and download does; the rest (network, data) are kExitFailure.
inline bool is_setting_error(const Error& error) {
  return error.kind == ErrorKind::AuthFailed || error.kind == ErrorKind::BucketMissing ||
         error.kind == ErrorKind::InvalidInput;
}

}  // namespace apex::cli
