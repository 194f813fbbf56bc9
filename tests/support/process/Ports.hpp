#pragma once
// Ephemeral ports on 127.0.0.1 for registries and daemons started by tests.
#include <chrono>
#include <cstdint>

namespace autonomy::testing {

// Binds 127.0.0.1:0, reads the port the kernel chose and closes the socket. Another process can
// take the port before it is used again: callers that start a server retry on "address in use".
std::uint16_t freePort();

// True once a TCP connect to 127.0.0.1:port succeeds, false at the timeout.
bool waitForPort(std::uint16_t port, std::chrono::milliseconds timeout);

// True if process `pid` holds the socket listening on 127.0.0.1:port (from /proc). A server that
// answers on "its" port may be another test's that took the port first: this tells them apart.
bool processListensOn(int pid, std::uint16_t port);

}  // namespace autonomy::testing
