// Boost.Beast is compiled here, once (BOOST_BEAST_SEPARATE_COMPILATION everywhere else).
#include <boost/beast/src.hpp>
