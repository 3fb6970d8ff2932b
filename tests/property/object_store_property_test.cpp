#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "storage/memory_store.h"

namespace apex {
namespace {

// A key that was never written is NotFound for every operation, never a crash.
RC_GTEST_PROP(ObjectStoreProperty, MissingObjectIsNotFound,
              (const std::vector<std::string>& written, const std::string& asked)) {
  MemoryStore store;
  for (const auto& key : written)
    if (validate_key(key) && key != asked) RC_ASSERT(store.write_all(key, key));
  auto read = store.read_all(asked);
  RC_ASSERT(!read);
  RC_ASSERT(read.error().kind == ErrorKind::NotFound);
  auto info = store.stat(asked);
  RC_ASSERT(!info);
  RC_ASSERT(info.error().kind == ErrorKind::NotFound);
}

}  // namespace
}  // namespace apex
