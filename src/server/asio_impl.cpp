// Boost.Asio is compiled here, once (BOOST_ASIO_SEPARATE_COMPILATION everywhere else).
#include <boost/asio/impl/src.hpp>
