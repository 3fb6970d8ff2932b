// The layers of src/ as src/LAYERS lists them (bottom to top, as ../shared/DESIGN.md draws
// them): every #include "layer/..." in src/ names the file's own layer or one below it. The
// build enforces the same (each layer's library sees only its own headers and those below),
// this test says which file and which include when it does not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_layers(const fs::path& file) {
  std::vector<std::string> layers;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') layers.push_back(line);
  return layers;
}

struct Include {
  std::string file;  // relative to src/
  int line = 0;
  std::string target;
};

std::vector<Include> quoted_includes(const fs::path& src) {
  static const std::regex include(R"(^\s*#\s*include\s*"([^"]+)\")");
  std::vector<Include> out;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
    std::ifstream in(entry.path());
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      std::smatch match;
      if (std::regex_search(line, match, include))
        out.push_back({fs::relative(entry.path(), src).generic_string(), number, match[1]});
    }
  }
  return out;
}

std::string first_folder(const std::string& path) {
  return path.substr(0, path.find('/'));
}

TEST(Layering, LayersMatchTheFoldersOfSrc) {
  const fs::path src = test::source_dir() / "src";
  const auto layers = read_layers(src / "LAYERS");
  ASSERT_FALSE(layers.empty()) << (src / "LAYERS") << " lists no layer";
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(src))
    if (entry.is_directory()) folders.push_back(entry.path().filename().string());
  std::sort(folders.begin(), folders.end());
  auto listed = layers;
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(folders, listed) << "every folder of src/ is a layer in src/LAYERS, and every layer a folder";
}

// Each include in src/ that names a layer above its file's own, or no layer: "file:line
// includes "target": why".
std::vector<std::string> layering_violations(const fs::path& src) {
  const auto layers = read_layers(src / "LAYERS");
  std::map<std::string, int> rank;
  for (std::size_t i = 0; i < layers.size(); ++i) rank[layers[i]] = static_cast<int>(i);
  std::vector<std::string> out;
  for (const auto& inc : quoted_includes(src)) {
    const std::string from = first_folder(inc.file), to = first_folder(inc.target);
    const std::string where =
        "src/" + inc.file + ":" + std::to_string(inc.line) + " includes \"" + inc.target + "\"";
    if (!rank.contains(to))
      out.push_back(where + ": not under a layer's folder (write the path from src/, e.g. \"formats/...\")");
    else if (rank.contains(from) && rank[to] > rank[from])
      out.push_back(where + ": " + to + " is above " + from + " in src/LAYERS");
  }
  return out;
}

TEST(Layering, EveryIncludeNamesItsOwnLayerOrOneBelow) {
  const fs::path src = test::source_dir() / "src";
  ASSERT_GT(quoted_includes(src).size(), 100u) << "the sources were not found under " << src;
  for (const auto& violation : layering_violations(src)) ADD_FAILURE() << violation;
}

// The check itself: a tree with one upward include and one outside the layers.
TEST(Layering, AnUpwardIncludeIsNamedWithItsFileAndLine) {
  const fs::path src = fs::temp_directory_path() / ("apex-layering-" + std::to_string(::getpid())) / "src";
  fs::create_directories(src / "formats");
  fs::create_directories(src / "server");
  std::ofstream(src / "LAYERS") << "# bottom to top\nformats\nserver\n";
  std::ofstream(src / "formats" / "parser.cpp")
      << "#include \"formats/parser.h\"\n#include \"server/routes.h\"\n";
  std::ofstream(src / "server" / "routes.cpp") << "#include \"formats/parser.h\"\n#include \"helpers.h\"\n";
  auto violations = layering_violations(src);
  std::sort(violations.begin(), violations.end());
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0],
            "src/formats/parser.cpp:2 includes \"server/routes.h\": server is above formats in src/LAYERS");
  EXPECT_NE(violations[1].find("src/server/routes.cpp:2 includes \"helpers.h\": not under a layer"),
            std::string::npos)
      << violations[1];
  fs::remove_all(src.parent_path());
}

}  // namespace
}  // namespace apex
