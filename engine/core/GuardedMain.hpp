#pragma once
// The body of a program's main(): whatever escapes it is a bug, reported as one line naming the
// program and a failing exit status, rather than std::terminate's abort and core dump.
#include <cstdio>
#include <exception>

namespace autonomy {

template <typename Body>
int guardedMain(const char* program, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: internal error\n", program);
  }
  return 1;
}

}  // namespace autonomy
