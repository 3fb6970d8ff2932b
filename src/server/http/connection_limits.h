// ConnectionLimits: how many connections the server holds open, in all and from one client
// address, so one client cannot take every connection the server can hold.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace apex {

class ConnectionLimits {
 public:
  enum class Admission { Admitted, ServerFull, ClientFull };

  // per_client 0: no limit per client (behind a proxy every connection comes from it).
  ConnectionLimits(std::size_t total, std::size_t per_client) : total_(total), per_client_(per_client) {}

  // Counts a new connection from `client` if both limits allow it; release() uncounts it.
  Admission admit(const std::string& client);
  void release(const std::string& client);
  std::size_t open() const;

 private:
  const std::size_t total_;
  const std::size_t per_client_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::unordered_map<std::string, std::size_t> by_client_;
};

}  // namespace apex
