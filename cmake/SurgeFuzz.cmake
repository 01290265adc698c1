# libFuzzer targets (SURGE_BUILD_FUZZ, the "fuzz" preset; tests/fuzz/). clang only.
#
# Every surge component is compiled with AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link), so the fuzzer is guided by
# the library's branches, not only the harness's; the fuzz executables add libFuzzer's main
# (-fsanitize=fuzzer). libstdc++'s own checks (_GLIBCXX_ASSERTIONS: bounds of operator[] on
# vectors, strings and string_views) catch an out-of-range index that stays inside a larger
# allocation, which ASan cannot see. The preset keeps assertions on (no NDEBUG): an assertion in
# Beast is a finding.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR
    "SURGE_BUILD_FUZZ needs clang++ (libFuzzer); use the fuzz preset: cmake --preset fuzz")
endif()

target_compile_options(surge_options INTERFACE
  -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
  -fno-sanitize-recover=undefined)
target_compile_definitions(surge_options INTERFACE _GLIBCXX_ASSERTIONS)
target_link_options(surge_options INTERFACE -fsanitize=address,undefined)

# How long CTest lets each fuzzer run (seconds). Five fuzzers, two at a time (ctest --preset fuzz
# runs 2 jobs): about 3 x SURGE_FUZZ_SECONDS in all, the 3 minutes four fuzzers took at 90 s.
set(SURGE_FUZZ_SECONDS 60 CACHE STRING "Run time of each fuzzer under CTest, in seconds")

# surge_add_fuzzer(WHAT SOURCES... DEPS... [DICT file]): the executable fuzz_<what>, with its seed
# corpus in tests/fuzz/corpus/<what>/. Registered with CTest (label "fuzz") twice:
#   fuzz_<what>             a bounded run (SURGE_FUZZ_SECONDS) over a copy of the corpus, so the
#                           source tree is never written; any crash, leak, timeout (10 s for one
#                           input) or RSS above 2 GiB fails it, and the input is kept in
#                           <build>/tests/fuzz/artifacts/<what>/.
#   fuzz_<what>_regressions every file of tests/fuzz/regressions/<what>/ run once (what an earlier
#                           run found and a fix made pass), when there are any.
function(surge_add_fuzzer what)
  cmake_parse_arguments(arg "" "DICT" "SOURCES;DEPS" ${ARGN})
  set(name fuzz_${what})
  add_executable(${name} ${arg_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${arg_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(surge_fuzzers ${name})

  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${what})
  set(options
    -max_total_time=${SURGE_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  if(arg_DICT)
    list(APPEND options -dict=${CMAKE_CURRENT_SOURCE_DIR}/${arg_DICT})
  endif()
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND}
      -DFUZZER=$<TARGET_FILE:${name}> -DCORPUS=${corpus}
      -DWORK=${CMAKE_CURRENT_BINARY_DIR}/work/${what}
      -DARTIFACTS=${CMAKE_CURRENT_BINARY_DIR}/artifacts/${what}/
      "-DOPTIONS=${options}"
      -P ${CMAKE_CURRENT_SOURCE_DIR}/run_fuzzer.cmake)
  math(EXPR timeout "${SURGE_FUZZ_SECONDS} + 120")
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT ${timeout})

  set(regressions ${CMAKE_CURRENT_SOURCE_DIR}/regressions/${what})
  file(GLOB reproducers CONFIGURE_DEPENDS ${regressions}/*)
  if(reproducers)
    add_test(NAME ${name}_regressions COMMAND ${name} ${reproducers})
    set_tests_properties(${name}_regressions PROPERTIES LABELS fuzz TIMEOUT 120)
  endif()
endfunction()
