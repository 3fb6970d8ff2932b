// Work that must not wait: the HTTP server first runs a request on the I/O thread that read
// it, inside a NonBlockingScope; code about to wait for I/O or for another thread (a cold
// load, a first listing) calls throw_if_must_not_block(), and the server then runs the
// request again on a handler thread, where waiting is fine. Cached answers so cost no thread
// hand-off; a slow one never holds an I/O thread.
#pragma once

#include <exception>

namespace apex {

struct WouldBlock : std::exception {
  const char* what() const noexcept override { return "this request has to wait for I/O"; }
};

namespace detail {
inline thread_local bool must_not_block = false;
}

class NonBlockingScope {
 public:
  NonBlockingScope() : previous_(detail::must_not_block) { detail::must_not_block = true; }
  ~NonBlockingScope() { detail::must_not_block = previous_; }
  NonBlockingScope(const NonBlockingScope&) = delete;
  NonBlockingScope& operator=(const NonBlockingScope&) = delete;

 private:
  bool previous_;
};

// Throws WouldBlock inside a NonBlockingScope; nothing outside one.
inline void throw_if_must_not_block() {
  if (detail::must_not_block) throw WouldBlock{};
}

}  // namespace apex
