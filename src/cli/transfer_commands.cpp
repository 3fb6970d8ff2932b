// apex upload [DIR] and apex download [PREFIX] DIR: mirror a local race-data tree to and
// from the bucket (engine in sync/). Exit codes: 0 all done, 1 some files failed, the run
// was interrupted or the endpoint could not be reached, 2 configuration or access problems
// (nothing was sent).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "cli/delete_confirmation.h"
#include "core/counted_noun.h"
#include "storage/s3_store.h"
#include "sync/downloader.h"
#include "sync/progress_reporter.h"
#include "sync/tree_scanner.h"
#include "sync/uploader.h"

namespace apex::cli {

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_interrupt(int) {
  if (g_cancel.exchange(true)) {
    // A second Ctrl-C: stop at once.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  const char message[] =
      "\napex: interrupted: finishing the transfers in flight (Ctrl-C again to quit now)\n";
  (void)!::write(STDERR_FILENO, message, sizeof message - 1);
}

struct TransferFlags {
  std::optional<std::string> bucket;
  std::optional<std::string> prefix;
  int jobs = 8;
  bool force = false;
  bool dry_run = false;
  int max_attempts = S3StoreOptions{}.max_attempts;
};

void add_common_flags(CLI::App* cmd, TransferFlags& flags) {
  cmd->add_option("--bucket", flags.bucket, "Bucket (default: S3_BUCKET_NAME)");
  cmd->add_option("--prefix", flags.prefix,
                  "Key prefix of the data root in the bucket (default: S3_PREFIX, data/)");
  cmd->add_option("--jobs,-j", flags.jobs, "Files, and parts of a large file, in flight at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--force", flags.force, "Transfer every file, even unchanged ones");
  cmd->add_flag("--dry-run", flags.dry_run, "Print what would be transferred and skipped; send nothing");
  cmd->add_option("--max-attempts", flags.max_attempts, "Attempts per request before a file counts as failed")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// Which bucket upload writes to, and download reads.
enum class Direction { Upload, Download };

// Fills config.s3 from flags. Download, which only reads the bucket, takes S3_BUCKET_NAME's
// default as ls and serve do. Upload writes, and with --delete deletes, so it never falls
// back to a default the user did not choose (on AWS a bucket name is global: the default
// may be someone else's bucket the credentials happen to reach): it asks for the bucket on
// a terminal, else stops. nullopt: reported, exit 2.
std::optional<Config> transfer_config(const TransferFlags& flags, Direction direction) {
  const bool upload = direction == Direction::Upload;
  auto config = load_config_or_report(std::nullopt);
  if (!config) return std::nullopt;
  auto env = Environment::load(".env");
  // Blank counts as unset, as load_config reads it (it trims, then falls back).
  const bool bucket_configured =
      env && env->get("S3_BUCKET_NAME").has_value() && !trim(*env->get("S3_BUCKET_NAME")).empty();
  if (flags.bucket) {
    config->s3.bucket = *flags.bucket;
  } else if (!bucket_configured && upload) {
    if (!is_terminal(STDIN_FILENO)) {
      std::fprintf(
          stderr,
          "apex: no bucket configured: pass --bucket NAME or set S3_BUCKET_NAME (environment or .env); "
          "upload does not write to the default bucket (%s) unless it is named\n",
          config->s3.bucket.c_str());
      return std::nullopt;
    }
    std::printf(
        "apex upload needs an S3 bucket, and none is configured (--bucket or S3_BUCKET_NAME in the\n"
        "environment or .env). Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,\n"
        "the region from AWS_REGION (%s), an S3-compatible server from S3_ENDPOINT_URL.\n"
        "Bucket name: ",
        config->s3.region.c_str());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || trim(answer).empty()) {
      std::fprintf(stderr, "apex: no bucket given: nothing to do\n");
      return std::nullopt;
    }
    config->s3.bucket = trim(answer);
  }
  // S3_BUCKET_NAME was checked with the configuration; the option and the typed answer get
  // the same rule here, before a request names the bad bucket ("does not exist").
  if (auto problem = bucket_name_problem(config->s3.bucket)) {
    std::fprintf(stderr, "apex: %s %s\n", flags.bucket ? "--bucket" : "the bucket name given",
                 problem->c_str());
    return std::nullopt;
  }
  if (flags.prefix) {
    std::string prefix = trim(*flags.prefix);
    if (auto problem = s3_prefix_problem(prefix)) {
      std::fprintf(stderr, "apex: --prefix %s\n", problem->c_str());
      return std::nullopt;
    }
    if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
    config->s3.prefix = prefix;
  }
  if (upload && (config->s3.access_key_id.empty() || config->s3.secret_access_key.empty())) {
    std::fprintf(
        stderr,
        "apex: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
        "temporary ones) in the environment or .env; nothing was uploaded\n");
    return std::nullopt;
  }
  return config;
}

S3StoreOptions store_options(const TransferFlags& flags) {
  S3StoreOptions options;
  options.max_attempts = flags.max_attempts;
  // Every body carries Content-MD5 or x-amz-checksum-crc32c, a signed header, so the server
  // still refuses damaged bytes; skipping a SHA-256 of each body saves a pass over every
  // byte sent (~1 GB/s here), which would cost a large upload a sixth of its time.
  options.sign_payload = false;
  return options;
}

std::string location_prefix(const Config& config) {
  return "s3://" + config.s3.bucket + "/" + config.s3.prefix;
}

// The one listing of the destination, which doubles as the access check. Refused
// credentials or a missing bucket: exit 2; an unreachable endpoint: exit 1, as for ls.
std::expected<Listing, int> list_or_report(S3Store& store, const std::string& prefix,
                                           const std::string& where) {
  auto listing = store.list(prefix, std::nullopt);
  if (!listing) {
    std::fprintf(stderr, "apex: cannot access %s: %s\n", where.c_str(), listing.error().describe().c_str());
    return std::unexpected(exit_code_for_source_error(listing.error()));
  }
  return std::move(*listing);
}

// A destination that cannot hold files is one mistake on the command line: said once,
// before anything is listed or fetched, not once per object. A folder still to be made is
// created only when there is something to download (create_destination).
std::optional<std::string> destination_problem(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_directory(status))
    return "DIR '" + dir.string() + "' is not a folder";
  // A file above it (DIR/../.. is a file) makes the folder impossible to create.
  for (auto parent = dir.parent_path(); !parent.empty() && parent != parent.parent_path();
       parent = parent.parent_path()) {
    const auto above = std::filesystem::status(parent, ec);
    if (!std::filesystem::exists(above)) continue;
    if (!std::filesystem::is_directory(above))
      return "DIR '" + dir.string() + "' cannot be created: '" + parent.string() + "' is not a folder";
    break;
  }
  return std::nullopt;
}

std::optional<std::string> create_destination(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create DIR '" + dir.string() + "': " + ec.message();
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "cannot write into DIR '" + dir.string() + "': " + std::strerror(errno);
  return std::nullopt;
}

// Names what the data root does hold, so a mistyped PREFIX can be corrected.
void report_nothing_to_download(S3Store& store, const std::string& where, const std::string& key_prefix) {
  if (key_prefix.empty()) {
    std::fprintf(stderr, "apex: %s holds no objects: nothing was downloaded\n", where.c_str());
    return;
  }
  std::string holds;  // empty: the second listing failed too, say nothing more
  if (auto top = store.list("", '/')) {
    std::vector<std::string> names = top->common_prefixes;
    for (const auto& object : top->objects) names.push_back(object.key);
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < names.size() && i < kShown; ++i) holds += (i == 0 ? "" : ", ") + names[i];
    if (names.size() > kShown) holds += ", ... (" + std::to_string(names.size()) + " in all)";
    holds = names.empty() ? " (it holds no objects)" : " (it holds: " + holds + ")";
  }
  std::fprintf(stderr, "apex: nothing in %s matches the prefix '%s'%s: nothing was downloaded\n",
               where.c_str(), key_prefix.c_str(), holds.c_str());
}

// The usage line and the list of positionals in the order the arguments are typed: CLI11
// prints them in the order they are declared (DIR, then PREFIX).
class DownloadUsage : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string name) const override {
    return get_label("Usage") + ": " + name + " [" + get_label("OPTIONS") + "] [PREFIX] DIR\n";
  }
  std::string make_positionals(const CLI::App* app) const override {
    auto positionals =
        app->get_options([](const CLI::Option* o) { return !o->get_group().empty() && o->get_positional(); });
    std::reverse(positionals.begin(), positionals.end());
    return make_group(get_label("Positionals"), true, positionals);
  }
};

// --delete at the bucket's root deletes everything else the bucket holds (other data, other
// applications' objects): an empty prefix reaches here from a blank S3_PREFIX, an
// `S3_PREFIX=` line in .env or --prefix '', all easy to get by accident, so it must be named.
std::optional<std::string> root_delete_problem(const Config& config, const TransferFlags& flags,
                                               bool delete_extra, bool delete_from_bucket_root) {
  if (!delete_extra || !config.s3.prefix.empty() || delete_from_bucket_root) return std::nullopt;
  return std::string("--delete with an empty prefix (") + (flags.prefix ? "--prefix" : "S3_PREFIX") +
         " is blank) would delete every object of bucket '" + config.s3.bucket +
         "' that is not in the folder uploaded, and put the tree at the bucket's root: set the prefix "
         "(e.g. --prefix data/), or pass --delete-from-bucket-root if the whole bucket is meant; nothing "
         "was uploaded or deleted";
}

int exit_code_for(const sync::TransferSummary& summary) {
  return summary.failed > 0 || summary.unreadable > 0 || summary.interrupted ? kExitFailure : kExitOk;
}

}  // namespace

Action add_upload_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("upload",
                                 "Upload a local data tree to s3://BUCKET/data/, sending only what changed");
  struct Options {
    TransferFlags flags;
    std::optional<std::string> dir;
    bool delete_extra = false;
    bool delete_from_bucket_root = false;
    std::size_t max_delete = kDefaultMaxDelete;
    bool yes = false;
    std::string acl;
    bool acl_optional = false;
    std::uint64_t threshold_mib = 16;
    std::uint64_t part_mib = 8;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("DIR", options->dir,
                  "Folder to upload (default: DATA_DIR, else data); its files map onto the prefix itself, as "
                  "with aws s3 sync: for one track's folder, name the track in --prefix (data/TRACK/)");
  add_common_flags(cmd, options->flags);
  cmd->get_option("--dry-run")
      ->description(
          "Print what would be transferred, skipped and deleted, and which incomplete multipart uploads "
          "would be resumed or aborted; change nothing");
  cmd->add_flag("--delete", options->delete_extra,
                "Delete objects under the prefix that no longer exist locally (never those under a "
                "local path that could not be read)");
  cmd->add_flag("--delete-from-bucket-root", options->delete_from_bucket_root,
                "Allow --delete with an empty prefix, where it deletes every object of the bucket "
                "that is not in DIR");
  cmd->add_option("--max-delete", options->max_delete,
                  "Ask before a --delete of more objects than this (and before one that empties a "
                  "whole top-level folder, a track)")
      ->capture_default_str();
  cmd->add_flag("--yes,-y", options->yes,
                "Confirm in advance a --delete that would otherwise be asked about (y/N on a terminal; "
                "without one it stops)");
  cmd->add_option("--acl", options->acl, "Canned ACL for every object (public-read)");
  cmd->add_flag("--acl-optional", options->acl_optional,
                "If the bucket refuses ACLs, say so once and upload without one");
  cmd->add_option("--multipart-threshold", options->threshold_mib, "Files above this many MiB go up in parts")
      ->check(CLI::Range(5, 5 * 1024))
      ->capture_default_str();
  cmd->add_option("--part-size", options->part_mib, "Part size in MiB (at least 5)")
      ->check(CLI::Range(5, 5 * 1024))
      ->capture_default_str();
  return [options]() {
    auto config = transfer_config(options->flags, Direction::Upload);
    if (!config) return kExitConfiguration;
    if (auto problem = root_delete_problem(*config, options->flags, options->delete_extra,
                                           options->delete_from_bucket_root)) {
      std::fprintf(stderr, "apex: %s\n", problem->c_str());
      return kExitConfiguration;
    }
    const std::filesystem::path dir = options->dir ? std::filesystem::path(*options->dir) : config->data_dir;
    auto scan = sync::scan_tree(dir);
    if (!scan) {
      std::fprintf(stderr, "apex: %s\n", scan.error().message.c_str());
      return kExitConfiguration;
    }
    for (const auto& rejected : scan->rejected) std::fprintf(stderr, "apex: skipping %s\n", rejected.c_str());

    S3Store store(config->s3, store_options(options->flags));
    const std::string where = location_prefix(*config);
    auto remote = list_or_report(store, "", where);
    if (!remote) return remote.error();

    sync::UploadOptions upload;
    upload.jobs = options->flags.jobs;
    upload.multipart_threshold = options->threshold_mib * kMebibyte;
    upload.part_size = options->part_mib * kMebibyte;
    upload.force = options->flags.force;
    upload.dry_run = options->flags.dry_run;
    if (options->delete_extra) upload.deletions = sync::planned_deletions(*scan, *remote);
    if (!deletions_confirmed({upload.deletions, &*remote, where, config->s3.prefix, dir.string(),
                              options->max_delete, options->yes, options->flags.dry_run}))
      return kExitConfiguration;
    upload.acl = options->acl;
    upload.acl_optional = options->acl_optional;
    upload.location_prefix = where;

    std::signal(SIGINT, on_interrupt);
    const bool live = is_terminal(STDOUT_FILENO) && !upload.dry_run;
    std::printf("apex: %s %s from %s to %s\n", upload.dry_run ? "checking" : "uploading",
                counted(scan->files.size(), "file").c_str(), dir.string().c_str(), where.c_str());
    std::fflush(stdout);
    sync::ProgressReporter progress(stdout, live, upload.dry_run ? "would upload" : "uploaded");
    auto summary = sync::upload_tree(store, *scan, *remote, upload, progress, g_cancel);
    progress.finish(summary);
    std::signal(SIGINT, SIG_DFL);
    return exit_code_for(summary);
  };
}

Action add_download_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("download", "Mirror the bucket's data (or a part of it) into a local folder");
  struct Options {
    TransferFlags flags;
    std::string first;                  // DIR, or PREFIX when a second argument follows
    std::optional<std::string> second;  // DIR after PREFIX
  };
  auto options = std::make_shared<Options>();
  // CLI11 fills positionals in the order they are declared and has no optional one before a
  // required one: the required DIR comes first, so that one argument is the folder, and a
  // second argument makes the first the PREFIX. The two named positionals give CLI11's
  // messages their names ("DIR is required", "The following argument was not expected"),
  // where one list of one or two (ARGS) printed "ARGS(1x)" and "ARGS: At Most 2 required".
  cmd->add_option("DIR", options->first, "Folder to download into")->required();
  cmd->add_option("PREFIX", options->second,
                  "Only the keys under the data prefix that start with PREFIX (default: all); given "
                  "before DIR");
  cmd->formatter(std::make_shared<DownloadUsage>());
  add_common_flags(cmd, options->flags);
  return [options]() {
    const std::string dir = options->second ? *options->second : options->first;
    const std::string key_prefix = options->second ? options->first : std::string();
    auto config = transfer_config(options->flags, Direction::Download);
    if (!config) return kExitConfiguration;
    if (auto problem = destination_problem(dir)) {
      std::fprintf(stderr, "apex: %s: nothing was downloaded\n", problem->c_str());
      return kExitConfiguration;
    }
    S3Store store(config->s3, store_options(options->flags));
    const std::string where = location_prefix(*config);
    auto remote = list_or_report(store, key_prefix, where + key_prefix);
    if (!remote) return remote.error();
    if (remote->objects.empty()) {
      // "downloading 0 objects" and exit 0 read as success when the PREFIX was a typo. Exit
      // 1 as for a track the data does not have: the settings work, the data is not there.
      report_nothing_to_download(store, where, key_prefix);
      return kExitFailure;
    }
    if (!options->flags.dry_run)
      if (auto problem = create_destination(dir)) {
        std::fprintf(stderr, "apex: %s: nothing was downloaded\n", problem->c_str());
        return kExitConfiguration;
      }

    sync::DownloadOptions download;
    download.jobs = options->flags.jobs;
    download.force = options->flags.force;
    download.dry_run = options->flags.dry_run;
    download.location_prefix = where;

    std::signal(SIGINT, on_interrupt);
    const bool live = is_terminal(STDOUT_FILENO) && !download.dry_run;
    std::printf("apex: %s %s from %s%s to %s\n", download.dry_run ? "checking" : "downloading",
                counted(remote->objects.size(), "object").c_str(), where.c_str(), key_prefix.c_str(),
                dir.c_str());
    std::fflush(stdout);
    sync::ProgressReporter progress(stdout, live, download.dry_run ? "would download" : "downloaded");
    auto summary = sync::download_tree(store, *remote, dir, download, progress, g_cancel);
    progress.finish(summary);
    std::signal(SIGINT, SIG_DFL);
    return exit_code_for(summary);
  };
}

}  // namespace apex::cli
