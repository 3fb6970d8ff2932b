// An ObjectStore that passes every call on to another store. A wrapper that changes one call
// (counts it, refuses it, cuts a file short) derives from it and overrides only that call,
// so the calls it does not mention, map() and parallel_reads() included, still reach the
// store underneath instead of silently falling back to ObjectStore's defaults.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/object_store.h"

namespace apex {

class ForwardingStore : public ObjectStore {
 public:
  explicit ForwardingStore(ObjectStore& inner) : inner_(inner) {}

  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override {
    return inner_.list(prefix, delimiter);
  }
  Result<ObjectInfo> stat(std::string_view key) override { return inner_.stat(key); }
  Result<VerifiableObjectInfo> stat_with_checksums(std::string_view key) override {
    return inner_.stat_with_checksums(key);
  }
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override {
    return inner_.read(key, range, sink);
  }
  Status write(std::string_view key, const ByteSource& source) override { return inner_.write(key, source); }
  Status remove(std::string_view key) override { return inner_.remove(key); }
  std::string describe() const override { return inner_.describe(); }
  std::string describe_publicly() const override { return inner_.describe_publicly(); }
  unsigned parallel_reads() const override { return inner_.parallel_reads(); }
  Result<std::unique_ptr<MappedFile>> map(std::string_view key) override { return inner_.map(key); }

 protected:
  ObjectStore& inner_;
};

}  // namespace apex
