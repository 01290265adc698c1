#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<what>/<name>.

Each seed is a small, meaningful input in the target's own format (see the comment at the top of
each tests/fuzz/<what>_fuzz.cpp). Run it after changing a format; the files are committed.
    tests/fuzz/make_seeds.py
"""

import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def write_corpus(what, seeds):
    directory = os.path.join(HERE, "corpus", what)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode("latin-1")
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


# --- fuzz_request_parser: [profile] [n] [n arrival size bytes] [stream] ---

def arrival_byte(size):
    """The byte for an arrival of `size` bytes: exact below 192, else a multiple of 64."""
    if size < 192:
        return size
    return min(255, 191 + round(size / 64))


def stream_seed(stream, arrivals=(), profile=0):
    if isinstance(stream, str):
        stream = stream.encode("latin-1")
    return bytes([profile, len(arrivals)] + [arrival_byte(a) for a in arrivals]) + stream


TINY, SMALL, NO_BODY = 1, 2, 3
BUFFER_1K = 4
ROUTE_1, ROUTE_100, ROUTE_1M = 1 << 3, 2 << 3, 3 << 3
STREAMS = 1 << 5

GET = "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
CHUNKED_HEAD = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
request_parser = {
    "get": stream_seed(GET),
    "get_http10": stream_seed("GET / HTTP/1.0\r\n\r\n"),
    "get_http12_split_after_version": stream_seed("GET / HTTP/1.2\r\nHost: a\r\n\r\n", [14]),
    "get_absolute_form": stream_seed("GET http://a.example:80/x?y=1 HTTP/1.1\r\nHost: b\r\n\r\n"),
    "options_star": stream_seed("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
    "leading_empty_lines": stream_seed("\r\n\r\n" + GET, [1, 1, 1]),
    "byte_by_byte": stream_seed(GET, [1] * 31),
    "pipelined_three": stream_seed(GET + "GET /json HTTP/1.1\r\nHost: a\r\n\r\n" +
                                   "HEAD /users/7?x=%20 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                                   [40, 30]),
    "pipelined_partial_moved_to_front": stream_seed(
        (GET * 27) + "GET /users/" + "a" * 200 + " HTTP/1.1\r\nHost: a\r\n\r\n",
        [1000, 50, 10], BUFFER_1K),
    "content_length_body": stream_seed(
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", [45]),
    "content_length_body_grows_buffer": stream_seed(
        "PUT /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\n\r\n" + "x" * 3000 + GET,
        [60, 1500], BUFFER_1K),
    "expect_100_continue": stream_seed(
        "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
        [77]),
    "expect_100_continue_chunked": stream_seed(
        CHUNKED_HEAD + "Expect: 100-continue\r\n\r\n4\r\nbody\r\n0\r\n\r\n", [88]),
    "chunked": stream_seed(CHUNKED_HEAD + "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", [70, 5]),
    "chunked_extensions_trailers": stream_seed(
        CHUNKED_HEAD + "Trailer: X-Sum\r\n\r\n"
        "5;name=value;q=\"a b\"\r\nhello\r\n"
        "A ; ext\r\n0123456789\r\n"
        "0;last\r\nX-Sum: 15\r\nX-Other: y\r\n\r\n" + GET,
        [90, 3, 20]),
    "chunked_empty_split_last_chunk": stream_seed(CHUNKED_HEAD + "\r\n0\r\n\r\n", [61, 2, 1]),
    "chunked_then_pipelined": stream_seed(
        CHUNKED_HEAD + "\r\n3\r\nabc\r\n0\r\n\r\n" + GET + CHUNKED_HEAD + "\r\n0\r\n\r\n"),
    "chunked_many_small_chunks": stream_seed(
        CHUNKED_HEAD + "\r\n" + "1\r\nx\r\n" * 300 + "0\r\n\r\n", [100, 700, 500], BUFFER_1K),
    "chunked_route_limit": stream_seed(
        CHUNKED_HEAD + "\r\n" + "40\r\n" + "y" * 64 + "\r\n" + "40\r\n" + "z" * 64 + "\r\n0\r\n\r\n",
        [], ROUTE_100),
    "chunked_route_limit_above_global": stream_seed(
        CHUNKED_HEAD + "\r\n" + ("100\r\n" + "w" * 256 + "\r\n") * 6 + "0\r\n\r\n",
        [200, 600], SMALL | ROUTE_1M),
    "tiny_limits_header": stream_seed(
        "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n", [5], TINY),
    "tiny_limits_body": stream_seed(
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n" + "b" * 65, [], TINY),
    "route_limit_content_length": stream_seed(
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab", [], ROUTE_1),
    "no_body_allowed": stream_seed(
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", [], NO_BODY),
    "long_request_line": stream_seed("GET /" + "p" * 300 + " HTTP/1.1\r\nHost: a\r\n\r\n", [100], SMALL),
    "percent_escapes": stream_seed("GET /users/J%C3%BCrgen%2Fx/%2e%2e?q=%7e#f HTTP/1.1\r\nHost: a\r\n\r\n"),
    "bad_obs_fold": stream_seed("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"),
    "bad_cl_and_te": stream_seed(
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bad_te_not_final": stream_seed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
    "bad_duplicate_host": stream_seed("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    "bad_version": stream_seed("GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
    "http2_preface": stream_seed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    "no_version": stream_seed("GET / \r\n\r\n"),
    "tls_client_hello": stream_seed(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])),
    "http10_keep_alive_pipelined": stream_seed(
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    # A route that streams its body: the pieces are taken as they arrive, the buffer never holds
    # the whole body, and the requests behind it still parse.
    "streamed_content_length_then_pipelined": stream_seed(
        "PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 2500\r\n\r\n" + "s" * 2500 + GET,
        [70, 900, 1000], BUFFER_1K | STREAMS),
    "streamed_chunked_then_pipelined": stream_seed(
        CHUNKED_HEAD + "\r\n" + ("3e8;ext=1\r\n" + "c" * 1000 + "\r\n") * 2 + "1\r\nd\r\n" * 20 +
        "0\r\nX-T: 1\r\n\r\n" + GET,
        [80, 5, 900, 700], BUFFER_1K | STREAMS),
    "streamed_expect_100_continue": stream_seed(
        "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
        [79], STREAMS),
    "streamed_route_limit_above_global": stream_seed(
        CHUNKED_HEAD + "\r\n" + ("100\r\n" + "r" * 256 + "\r\n") * 8 + "0\r\n\r\n",
        [200, 600, 1300], SMALL | ROUTE_1M | STREAMS),
    "streamed_empty_body": stream_seed(GET + GET, [], STREAMS),
}


# --- fuzz_response_parser: [profile] [n] [n arrival size bytes] [stream] ---
# profile: bit 0 HEAD, bit 1 Upgrade asked, bits 2-3 limits, bit 4 close after, bit 5 keep all bytes.

R_HEAD, R_UPGRADE, R_TINY, R_SMALL, R_EOF, R_KEEP = 1, 2, 1 << 2, 2 << 2, 1 << 4, 1 << 5
OK_HEAD = "HTTP/1.1 200 OK\r\n"
R_CHUNKED = OK_HEAD + "Transfer-Encoding: chunked\r\n\r\n"
response_parser = {
    "content_length": stream_seed(OK_HEAD + "Content-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", [20]),
    "content_length_kept": stream_seed(OK_HEAD + "Content-Length: 11\r\n\r\nhello world", [40, 3], R_KEEP),
    "chunked_extensions_trailers": stream_seed(
        R_CHUNKED + "5;name=value;q=\"a b\"\r\nhello\r\nA ; ext\r\n0123456789\r\n0;last\r\nX-Sum: 15\r\n\r\n",
        [47, 3, 20]),
    "chunked_empty_split_last_chunk": stream_seed(R_CHUNKED + "0\r\n\r\n", [47, 3, 1]),
    "chunked_large_in_reads": stream_seed(
        R_CHUNKED + ("3e8\r\n" + "c" * 1000 + "\r\n") * 3 + "0\r\n\r\n", [60, 700, 900], R_SMALL),
    "until_close": stream_seed("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nread until the close", [30], R_EOF),
    "until_close_gzip": stream_seed(OK_HEAD + "Transfer-Encoding: chunked, gzip\r\n\r\n\x1f\x8b\x08", [], R_EOF),
    "eof_before_length": stream_seed(OK_HEAD + "Content-Length: 10\r\n\r\nhello", [], R_EOF),
    "eof_mid_chunk": stream_seed(R_CHUNKED + "a\r\nhel", [50], R_EOF),
    "head": stream_seed(OK_HEAD + "Content-Length: 1000\r\n\r\n", [], R_HEAD),
    "no_content_with_length": stream_seed("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"),
    "not_modified": stream_seed("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\nETag: \"x\"\r\n\r\n"),
    "interim_then_final": stream_seed(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
        OK_HEAD + "Content-Length: 2\r\n\r\nok", [10, 30]),
    "switching_protocols": stream_seed(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
        [], R_UPGRADE),
    "http10_keep_alive": stream_seed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx"),
    "http12": stream_seed("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", [7]),
    "identical_lengths": stream_seed(OK_HEAD + "Content-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc"),
    "bytes_after": stream_seed(OK_HEAD + "Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n"),
    "tiny_limits": stream_seed(R_CHUNKED + "1;" + "e" * 70 + "\r\nx\r\n0\r\nT: 1\r\n\r\n", [5], R_TINY),
    "bad_cl_and_te": stream_seed(OK_HEAD + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bad_lengths_differ": stream_seed(OK_HEAD + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
    "bad_obs_fold": stream_seed(OK_HEAD + "X: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
    "bad_chunk_overflow": stream_seed(R_CHUNKED + "10000000000000000\r\nx\r\n"),
    "bad_status": stream_seed("HTTP/1.1 2000 OK\r\n\r\n"),
    "bad_garbage": stream_seed("<html><body>not http</body></html>"),
}


# --- fuzz_router: [flags] [target] "\n" [body] ---

def router_seed(target, body="", flags=0):
    return bytes([flags]) + target.encode("latin-1") + b"\n" + body.encode("latin-1")


STRICT, BIG_BODY = 1, 2
POST_METHOD, HEAD_METHOD, OPTIONS_METHOD = 1 << 2, 2 << 2, 3 << 2
router = {
    "root": router_seed("/"),
    "static": router_seed("/plaintext"),
    "static_encoded_unreserved": router_seed("/plaintex%74"),
    "param": router_seed("/users/42"),
    "param_with_body": router_seed("/users/" + "A" * 100, "x" * 10, BIG_BODY),
    "param_encoded": router_seed("/users/J%C3%BCrgen%20M%22%5C"),
    "param_encoded_slash": router_seed("/users/a%2Fb"),
    "param_bad_utf8": router_seed("/users/%FF%C3%ED%A0%80"),
    "static_beside_param": router_seed("/users/new"),
    "two_params": router_seed("/users/7/posts/99?x=1"),
    "catch_all": router_seed("/static/css/site.css"),
    "catch_all_empty": router_seed("/static/"),
    "catch_all_traversal": router_seed("/static/%2e%2e/%2e%2e/etc/passwd"),
    "catch_all_with_body": router_seed("/static/a/b/c", "", BIG_BODY | POST_METHOD),
    "backtrack": router_seed("/a/b/d"),
    "backtrack_static": router_seed("/a/b/c"),
    "trailing_slash_redirect": router_seed("/json/?q=1"),
    "trailing_slash_strict": router_seed("/json/", "", STRICT),
    "not_found": router_seed("/nope"),
    "method_not_allowed": router_seed("/plaintext", "data", POST_METHOD),
    "head": router_seed("/users/5", "", HEAD_METHOD),
    "options": router_seed("/users/5", "", OPTIONS_METHOD),
    "options_star": router_seed("*", "", OPTIONS_METHOD),
    "echo_post": router_seed("/echo?a=b&c", '{"k": "v\\u0000"}', POST_METHOD),
    "echo_post_big": router_seed("/echo", "e" * 50, BIG_BODY | POST_METHOD),
    "absolute_form": router_seed("http://example.com/users/9"),
    "double_slash": router_seed("//users//9"),
    "many_segments": router_seed("/files/" + "/".join(["s"] * 40)),
}


# --- fuzz_body_template: FuzzedDataProvider strings ---
# ConsumeRandomLengthString reads up to a backslash that is not followed by another one ("\\" is a
# literal backslash); the byte after the lone backslash is skipped. The first byte (kept by the
# provider for the end: ConsumeIntegral takes bytes from the end) picks the mode.

def fdp_string(s):
    return s.replace("\\", "\\\\") + "\\ "


def template_seed(template, values, mode):
    return ("".join([fdp_string(template)] + [fdp_string(v) for v in values])).encode("latin-1") + bytes([mode])


TEXT, JSON_BODY, PIECES = 0, 1, 2
body_template = {
    "text_hello": template_seed("Hello, {name}! You are user {id}.", ["Ada", "7"], TEXT),
    "text_escapes": template_seed("{{id}} is {id}; }} and {{ stay", ["1"], TEXT),
    "text_not_identifiers": template_seed("{ } {a-b} {} { {id", ["x"], TEXT),
    "text_unknown_name": template_seed("{nope}", [], TEXT),
    "json_object": template_seed('{"id": "{id}", "name": "user-{id}", "tags": ["{name}", 1, 2.5, null]}',
                                 ['a"b\\c', "line\nbreak\x01"], JSON_BODY),
    "json_nested": template_seed('{"a": {"b": {"id": "{id}"}}, "{name}": true}', ["\xff\xc3", "k"], JSON_BODY),
    "json_keys_collide": template_seed('{"{id}": 1, "7": 2}', ["7"], JSON_BODY),
    "json_utf8": template_seed('["{id}", "{path}"]', ["J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80",
                                                        "\xed\xa0\x80\xc0\xaf"], JSON_BODY),
    "pieces": template_seed("lit{eral}\x00{{", ["v1", "v2", "v3"], PIECES),
}


# --- fuzz_json_config: the text of a configuration file ---

def config(obj):
    return json.dumps(obj, indent=1)


json_config = {
    "empty": "{}",
    "shipped": open(os.path.join(HERE, "..", "..", "config", "surge.json")).read(),
    "every_section": config({
        "listen": ["127.0.0.1:9000", "[::1]:0"], "threads": 3, "pin_workers": True, "backlog": 128,
        "server_header": "",
        "limits": {"max_request_line_bytes": 1000, "max_header_bytes": 2000, "max_header_count": 10,
                   "max_body_bytes": 5, "max_connections_per_worker": 7,
                   "max_requests_per_connection": 0, "max_pipelined_responses": 2},
        "timeouts": {"header_ms": 1, "body_ms": 2, "idle_ms": 3, "write_ms": 4, "linger_ms": 5,
                     "handler_ms": 6},
        "shutdown": {"drain_delay_ms": 6, "timeout_ms": 7},
        "pools": {"buffer_bytes": 2048, "buffers_per_worker": 8, "contexts_per_worker": 9,
                  "release_idle_after_ms": 10},
        "offload": {"threads": 2, "queue": 16},
        "log": {"level": "debug"},
        "builtins": {"healthz": False, "readyz": True},
    }),
    "routes": config({"routes": [
        {"path": "/plaintext", "handler": {"type": "text", "body": "Hello, World!",
                                           "headers": {"Cache-Control": "no-store"}}},
        {"path": "/users/:id", "method": ["GET", "POST"], "max_body_bytes": 100, "timeout_ms": 50,
         "handler": {"type": "json", "status": 201, "body": {"id": "{id}", "tags": ["user-{id}", {"n": 1.5}]}}},
        {"path": "/hello/:name", "handler": {"type": "text", "body": "{{literal}} {name}!"}},
        {"path": "/static/*path", "handler": {"type": "files", "root": "/srv/www", "index": "index.html",
                                              "max_age_s": 60}},
        {"path": "/echo", "method": "PUT", "handler": {"type": "echo"}},
    ]}),
    "protection": config({
        "trusted_proxies": ["10.0.0.0/8", "::1/128"], "use_forwarded_header": True,
        "rate_limits": {
            "per_ip": {"rate": 100, "per": "second", "burst": 20, "key": "client_address", "ipv6_prefix": 64,
                       "max_keys": 1000, "status": 503, "dry_run": True, "headers": True, "share": "full"},
            "api": {"rate": 600, "per": "minute", "key": "header:X-API-Key", "missing_header": "skip"},
            "global": {"key": "none", "share": "shared"},
        },
        "breakers": {"db": {"window_ms": 1000, "window_buckets": 10, "min_requests": 5, "failure_percent": 50,
                            "slow_call_ms": 200, "slow_call_percent": 80, "open_ms": 100,
                            "max_open_ms": 1000, "failure_statuses": [500, "5xx"], "force": None}},
        "load_shedding": {"max_in_flight_per_worker": 100, "retry_after_s": 2,
                          "adaptive": {"initial_limit": 10, "min_limit": 1, "max_limit": 100}},
        "middleware": {"rate_limit": ["global"]},
        "routes": [{"path": "/api/:x", "rate_limit": ["api"], "breaker": "db", "max_in_flight": 3,
                    "handler": {"type": "echo"}}],
    }),
    "middleware": config({"middleware": {
        "recover": {"enabled": True},
        "request_id": {"enabled": True, "header": "X-Request-ID", "max_length": 64, "trace": True},
        "cors": {"allowed_origins": ["https://a.example"], "allowed_methods": ["GET", "PUT"],
                 "allow_credentials": True, "max_age_s": 60},
    }}),
    "metrics_access_log": config({
        "metrics": {"enabled": True, "listen": "127.0.0.1:9464", "path": "/metrics",
                    "duration_buckets_s": [0.001, 0.01, 0.1, 1], "size_buckets_bytes": [100, 1000]},
        "access_log": {"enabled": True, "format": "json", "output": "stdout", "sample": 0.5},
    }),
    "threads_1e999": '{"threads": 1e999}',
    "size_1e999": '{"limits": {"max_body_bytes": 1e999}}',
    "negative_size": '{"pools": {"buffers_per_worker": -1}}',
    "float_for_integer": '{"backlog": 1.5, "access_log": {"sample": -0.0}}',
    "deep_body": '{"routes": [{"path": "/d", "handler": {"type": "json", "body": ' + "[" * 70 + "]" * 70 + "}}]}",
    "deep_method": '{"routes": [{"path": "/d", "method": ' + '{"a":' * 70 + "1" + "}" * 70 + ', "handler": {"type": "echo"}}]}',
    "unknown_key": '{"limits": {"max_body_byte": 5}}',
    "syntax_error": '{"threads": }',
    "placeholder_not_param": '{"routes": [{"path": "/x", "handler": {"type": "text", "body": "{id}"}}]}',
    "bad_unicode_escape": '{"server_header": "\\ud800"}',
}


# --- fuzz_content_coding: FuzzedDataProvider; integers from the end, strings from the front ---
# From the end: the offer byte, the number of Accept-Encoding lines, the number of cuts, then two
# bytes per cut; from the front: the lines; what is left in the middle is the body.

def coding_seed(lines, body, cuts, offer=0x07):
    tail = b"".join(cut.to_bytes(2, "big") for cut in reversed(cuts)) + bytes([len(cuts), len(lines), offer])
    return "".join(fdp_string(line) for line in lines).encode("latin-1") + body.encode("latin-1") + tail


prose = "the quick brown fox jumps over the lazy dog while surge serves it " * 8
content_coding = {
    "mixed": coding_seed(["gzip, br;q=0.5", "zstd;q=0"], prose, [10, 100, 300]),
    "star_refused": coding_seed(["*;q=0, gzip"], prose, [1]),
    "identity_first": coding_seed(["identity;q=1, gzip;q=0.5"], prose, []),
    "x_gzip_twice": coding_seed(["x-gzip;q=0", "GZIP"], prose, [0, 0, 50]),
    "params": coding_seed(['br;level="1,2";q=0.9, zstd ; q = 0.5'], prose, [200]),
    "empty_body": coding_seed(["gzip, br, zstd"], "", [0]),
    "offer_reversed": coding_seed(["gzip, br, zstd"], prose, [64], offer=0x3F),
}

if __name__ == "__main__":
    write_corpus("request_parser", request_parser)
    write_corpus("response_parser", response_parser)
    write_corpus("router", router)
    write_corpus("body_template", body_template)
    write_corpus("json_config", json_config)
    write_corpus("content_coding", content_coding)
