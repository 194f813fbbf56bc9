#pragma once
#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <optional>

namespace autonomy::cli {

template <typename T>
T EngineSession::run(boost::asio::awaitable<T> task) {
  armSignals();
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io_, std::move(task), [&](const std::exception_ptr& e, T value) {
    if (e)
      error = e;
    else
      result = std::move(value);
    io_.stop();
  });
  io_.run();
  io_.restart();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace autonomy::cli
