#include "storage/store_factory.h"

#include "storage/local_store.h"
#include "storage/s3_store.h"

namespace apex {

Result<std::unique_ptr<ObjectStore>> make_object_store(const Config& config) {
  if (config.s3.enabled) {
    if (config.s3.bucket.empty())
      return make_error(ErrorKind::InvalidInput, "USE_S3_DATA is set but S3_BUCKET_NAME is empty");
    return std::make_unique<S3Store>(config.s3);
  }
  return std::make_unique<LocalStore>(config.data_dir);
}

}  // namespace apex
