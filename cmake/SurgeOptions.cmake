# Compile options shared by every surge target (linked as surge_options).
add_library(surge_options INTERFACE)
target_compile_features(surge_options INTERFACE cxx_std_20)
# Warnings are for surge's own build; an embedder linking the installed surge::surge keeps its own.
target_compile_options(surge_options INTERFACE
  $<BUILD_INTERFACE:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers>)
# Asio and Beast are compiled once (src/server/asio_impl.cpp, src/http/beast_impl.cpp); every
# other translation unit sees only declarations.
target_compile_definitions(surge_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_NO_TS_EXECUTORS
  SURGE_VERSION="${PROJECT_VERSION}")
target_link_libraries(surge_options INTERFACE Boost::headers Threads::Threads)

if(SURGE_SANITIZE)
  target_compile_options(surge_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  target_link_options(surge_options INTERFACE -fsanitize=address,undefined)
endif()

# surge_add_component(NAME SOURCES... [DEPS ...]): one static library per box of the architecture.
function(surge_add_component name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_library(surge_${name} STATIC ${arg_SOURCES})
  target_include_directories(surge_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(surge_${name} PUBLIC surge_options ${arg_DEPS})
  add_library(surge::${name} ALIAS surge_${name})
endfunction()

# A counting replacement of the global operator new, for tests that prove code does not allocate.
# It only counts, so it is linked into every test binary that wants it without changing behaviour.
function(surge_add_allocation_counter)
  if(NOT TARGET surge_allocation_counter)
    add_library(surge_allocation_counter OBJECT ${PROJECT_SOURCE_DIR}/tests/support/allocation_counter.cpp)
    target_include_directories(surge_allocation_counter PUBLIC ${PROJECT_SOURCE_DIR}/tests)
  endif()
endfunction()

# surge_add_unit_test(NAME SOURCES... DEPS...): one GoogleTest binary per component directory,
# tests/unit/<dir>/, each test case registered with CTest (label "unit").
function(surge_add_unit_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${arg_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
