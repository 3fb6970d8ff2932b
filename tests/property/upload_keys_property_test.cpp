// apex upload maps a local tree to keys exactly: for random trees (nested folders, spaces,
// unicode, punctuation) the bucket holds data/<relative path> for every file and nothing
// else, each with the file's bytes. --delete makes each case's bucket mirror its tree.
//
// Each case runs the apex binary against s3rver, so 6 cases, not RapidCheck's default 100
// (RC_PARAMS="seed=..." reproduces a failure).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <iostream>
#include <map>
#include <set>

#include "integration/upload_test_support.h"
#include "storage/s3_store.h"
// LoopbackProcess and run_command are compiled into this binary by
// s3_tree_property_test.cpp (the property binary does not build tests/integration/).

namespace apex {
namespace {

namespace fs = std::filesystem;
namespace up = apex::test::upload;

constexpr int kUploadCases = 6;

rc::Gen<std::string> gen_segment() {
  static const std::vector<std::string> pieces = {"a", "Z",  "7", " ",   "-", "_", "é",
                                                  "ü", "東", "ñ", "(1)", "+", "&", "%"};
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces)),
                      [](const std::vector<std::string>& parts) {
                        std::string name = "n";
                        for (const auto& p : parts) name += p;
                        return name;
                      });
}

// Folders never end in ".csv" and files always do, so no file clashes with a folder.
rc::Gen<std::string> gen_relative_path() {
  return rc::gen::map(
      rc::gen::pair(rc::gen::resize(3, rc::gen::container<std::vector<std::string>>(gen_segment())),
                    gen_segment()),
      [](const std::pair<std::vector<std::string>, std::string>& p) {
        std::string path;
        for (const auto& folder : p.first) path += folder + "/";
        return path + p.second + ".csv";
      });
}

TEST(UploadKeysProperty, KeysAreDataSlashRelativePath) {
  up::S3rver s3rver;
  ASSERT_TRUE(s3rver.error.empty()) << s3rver.error;
  const fs::path work = up::fresh_dir("apex-upload-property");
  const fs::path tree = work / "tree";
  S3Settings settings;
  settings.bucket = up::kUploadBucket;
  settings.access_key_id = "S3RVER";
  settings.secret_access_key = "S3RVER";
  settings.prefix = "";
  settings.endpoint_url = s3rver.endpoint();
  S3Store bucket(settings);

  auto property = [&] {
    const auto paths = *rc::gen::resize(
        12, rc::gen::nonEmpty(rc::gen::container<std::set<std::string>>(gen_relative_path())));
    fs::remove_all(tree);
    fs::create_directories(tree);
    std::map<std::string, std::string> files;
    int i = 0;
    for (const auto& path : paths) {
      files["data/" + path] = "bytes of " + path + " #" + std::to_string(i++);
      up::write_file(tree / fs::path(path), files["data/" + path]);
    }
    // --yes: each case replaces the last one's tree, whose folders the delete empties.
    auto run = up::run_apex("upload tree --delete --yes --jobs 4", up::s3rver_env(s3rver.endpoint()), work);
    RC_ASSERT(run.code == 0);
    auto listing = bucket.list("", std::nullopt);
    RC_ASSERT(listing.has_value());
    std::map<std::string, std::string> stored;
    for (const auto& object : listing->objects)
      stored[object.key] = bucket.read_all(object.key).value_or("<unreadable>");
    RC_ASSERT(stored == files);
  };
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = kUploadCases;
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = "upload keys are data/<relative path>";
  auto result = rc::detail::checkTestable(property, metadata, params);
  rc::detail::printResultMessage(result, std::cerr);
  EXPECT_TRUE(result.is<rc::detail::SuccessResult>());
  fs::remove_all(work);
}

}  // namespace
}  // namespace apex
