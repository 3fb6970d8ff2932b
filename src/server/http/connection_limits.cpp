#include "server/http/connection_limits.h"

namespace apex {

ConnectionLimits::Admission ConnectionLimits::admit(const std::string& client) {
  std::lock_guard lock(mutex_);
  if (open_ >= total_) return Admission::ServerFull;
  auto& from_client = by_client_[client];
  if (per_client_ > 0 && from_client >= per_client_) return Admission::ClientFull;
  ++from_client;
  ++open_;
  return Admission::Admitted;
}

void ConnectionLimits::release(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto found = by_client_.find(client);
  if (found == by_client_.end()) return;
  --open_;
  if (--found->second == 0) by_client_.erase(found);
}

std::size_t ConnectionLimits::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace apex
