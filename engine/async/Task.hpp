#pragma once
// A coroutine of the engine: everything network-bound runs as one on a single io_context thread.
#include <boost/asio/awaitable.hpp>

namespace autonomy::async {

template <typename T>
using Task = boost::asio::awaitable<T>;

}  // namespace autonomy::async
