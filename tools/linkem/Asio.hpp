#pragma once
// The one completion-token spelling for linkem: errors come back as values, never as exceptions.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace autonomy::linkem {

inline constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Every socket, timer and coroutine of one proxy runs on one strand, so shared token buckets and
// per-connection state need no locks even when the io_context runs on several threads.
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

}  // namespace autonomy::linkem
