#!/usr/bin/env python3
"""scripts/lib/bench_tools.py: timing and reporting helpers of scripts/bench.

Executed by scripts/bench, not meant to be run by hand. Standard library only.

  detect  API_URL GW_URL TIMEOUT -- STOP_CMD...
      run STOP_CMD (e.g. pg_ctl stop -m immediate), then poll every 20 ms until
      data-api GET /health/ready answers 503 and gateway GET /health answers 503;
      print JSON {"stop_ms", "api_ms", "gateway_ms"} (ms after STOP_CMD returned)
  recover API_URL GW_URL TIMEOUT READY_CMD -- START_CMD...
      run START_CMD (a non-waiting pg_ctl start), poll READY_CMD (pg_isready,
      one shell word list given as a single string) every 20 ms to find when
      PostgreSQL accepts connections, and both services until they report pass
      again; print JSON {"accept_ms", "api_ms", "gateway_ms"} (service times are
      counted from the moment PostgreSQL accepted connections)
  startup URL TIMEOUT -- BINARY
      exec BINARY (environment inherited), poll URL every 10 ms until 200, print
      JSON {"ready_ms", "rss_kib"}, then SIGTERM it (SIGKILL after 10 s)
  pass URL...
      exit 0 when every URL answers 200 with a top-level "status" of "pass"
  report RESULTS_TSV [JSON_FILE]
      print the tables of a run; with JSON_FILE also write the same figures
"""

import http.client
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

POLL = 0.020


def http_get(url, timeout=1.0):
    """(status, body) or (None, None) when the request fails."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return None, None
    finally:
        conn.close()


def is_fail(url):
    status, _ = http_get(url)
    return status == 503


def is_pass(url):
    status, body = http_get(url)
    if status != 200:
        return False
    try:
        return json.loads(body).get("status") == "pass"
    except ValueError:
        return False


def poll(conditions, timeout, started):
    """Poll named conditions every POLL s; return {name: ms after started}."""
    found = {}
    deadline = started + timeout
    tick = time.monotonic()
    while len(found) < len(conditions):
        for name, check in conditions.items():
            if name not in found and check():
                found[name] = round((time.monotonic() - started) * 1000, 1)
        if time.monotonic() > deadline:
            missing = ", ".join(sorted(set(conditions) - set(found)))
            sys.exit(f"bench_tools: timed out after {timeout}s waiting for: {missing}")
        tick += POLL
        time.sleep(max(0.0, tick - time.monotonic()))
    return found


def split_command(args):
    if "--" not in args:
        sys.exit("bench_tools: missing -- before the command")
    index = args.index("--")
    return args[:index], args[index + 1:]


def run_checked(command):
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode(errors="replace"))
        sys.exit(f"bench_tools: command failed with status {result.returncode}: {command[0]}")


def cmd_detect(args):
    (api, gateway, timeout), command = split_command(args)
    began = time.monotonic()
    run_checked(command)
    stopped = time.monotonic()
    found = poll(
        {"api_ms": lambda: is_fail(f"{api}/health/ready"), "gateway_ms": lambda: is_fail(f"{gateway}/health")},
        float(timeout), stopped,
    )
    found["stop_ms"] = round((stopped - began) * 1000, 1)
    print(json.dumps(found))


def cmd_recover(args):
    (api, gateway, timeout, ready_cmd), command = split_command(args)
    ready = shlex.split(ready_cmd)
    began = time.monotonic()
    # The start command may block after the server started (supervisorctl start
    # waits out startsecs): poll while it runs.
    starter = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def accepting():
        return subprocess.run(ready, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0

    accept = poll({"accept_ms": accepting}, float(timeout), began)
    accepted_at = began + accept["accept_ms"] / 1000
    # The services are polled while the start command still waits: waiting
    # for it first delayed every recovery figure by its startsecs (1 s).
    found = poll(
        {"api_ms": lambda: is_pass(f"{api}/health"), "gateway_ms": lambda: is_pass(f"{gateway}/health")},
        float(timeout), accepted_at,
    )
    if starter.wait() != 0:
        sys.exit(f"{shlex.join(command)} failed: {starter.stderr.read().decode(errors='replace').strip()}")
    found.update(accept)
    print(json.dumps(found))


def cmd_pass(args):
    sys.exit(0 if all(is_pass(url) for url in args) else 1)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cmd_startup(args):
    (url, timeout), command = split_command(args)
    began = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def ready():
            if process.poll() is not None:
                sys.exit(f"bench_tools: {os.path.basename(command[0])} exited with status {process.returncode} before it was ready")
            status, _ = http_get(url, timeout=0.5)
            return status == 200

        found = poll({"ready_ms": ready}, float(timeout), began)
        found["rss_kib"] = rss_kib(process.pid)
        print(json.dumps(found))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- report

def load(path):
    meta, values = {}, {}
    with open(path, encoding="utf-8") as results:
        for line in results:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 4:
                continue
            section, target, metric, value = fields
            if section == "meta":
                meta[metric] = value
                continue
            try:
                number = float(value)
            except ValueError:
                continue
            values.setdefault(section, {}).setdefault(target, {}).setdefault(metric, []).append(number)
    return meta, values


def median(values):
    return statistics.median(values) if values else None


def summarize(values):
    """{section: {target: {metric: median, metric_runs: [...]}}}; detection also gets max."""
    out = {}
    for section, targets in values.items():
        out[section] = {}
        for target, metrics in targets.items():
            entry = {}
            for metric, runs in metrics.items():
                entry[metric] = round(median(runs), 3)
                if len(runs) > 1:
                    entry[f"{metric}_runs"] = runs
                if section == "recovery":
                    entry[f"{metric}_max"] = max(runs)
            out[section][target] = entry
    return out


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 3)


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(title, header, rows, note=None):
    print(f"\n{title}")
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    if note:
        print(note)


def add_ratios(figures):
    proxy = figures.get("proxy", {})
    direct = proxy.get("direct", {})
    haproxy = proxy.get("haproxy", {})
    for entry in proxy.values():
        entry["rps_vs_direct"] = ratio(entry.get("rps"), direct.get("rps"))
        entry["rps_vs_haproxy"] = ratio(entry.get("rps"), haproxy.get("rps"))
        entry["p99_vs_haproxy"] = ratio(entry.get("p99_ms"), haproxy.get("p99_ms"))


def load_rows(section, names, extra=()):
    """Rows of a wrk section: name, req/s, p50, p99, each (metric, digits) of extra, errors."""
    rows = []
    for name in names:
        entry = section.get(name)
        if entry:
            rows.append([name, fmt(entry.get("rps"), 0), fmt(entry.get("p50_ms"), 3), fmt(entry.get("p99_ms"), 3)]
                        + [fmt(entry.get(metric), digits) for metric, digits in extra] + [fmt(entry.get("errors"), 0)])
    return rows


def cmd_report(args):
    path = args[0]
    meta, values = load(path)
    figures = summarize(values)
    add_ratios(figures)

    print(f"\nscripts/bench ({meta.get('mode', '?')} mode), {meta.get('date', '')}")
    print(f"CPU: {meta.get('cpu', '?')} ({meta.get('cores', '?')} cores); wrk {meta.get('wrk_settings', '')}; binaries: {meta.get('build', '?')}")

    proxy = figures.get("proxy", {})
    rows = load_rows(proxy, ("direct", "nginx", "haproxy", "gateway", "gateway-1loop"),
                     (("rps_vs_direct", 3), ("rps_vs_haproxy", 3), ("p99_vs_haproxy", 3)))
    table("1. Proxy overhead: GET /api/data from one nginx upstream (medians of the rounds)",
          ["target", "req/s", "p50 ms", "p99 ms", "req/s vs direct", "req/s vs haproxy", "p99 vs haproxy", "errors"], rows)

    probes = figures.get("probes", {})
    rows = load_rows(probes, ("ready-cached", "ready-direct", "health-cached", "health-direct"),
                     (("pg_stmt_per_1000", 1), ("pg_stmt_per_interval", 2), ("pg_xact_per_1000", 1)))
    baseline = figures.get("probes-baseline", {}).get("idle", {})
    table("2. Health probes of data-api (PostgreSQL work caused by the probes, idle rate subtracted)",
          ["probe-mode", "req/s", "p50 ms", "p99 ms", "PG stmts/1000 probes", "PG stmts/check interval",
           "PG xact/1000 (lagging)", "errors"], rows,
          f"idle: {fmt(baseline.get('pg_stmt_per_s'), 1)} statements/s ({fmt(baseline.get('pg_xact_per_s'), 1)} xact/s in "
          f"pg_stat_database) from the background checks of {meta.get('data_api_instances', '?')} data-api instances, "
          f"check interval {meta.get('health_interval_ms', '?')} ms.\n"
          "stmts: pg_stat_statements calls (each check is one single-statement transaction); PG xact: pg_stat_database\n"
          "xact_commit+xact_rollback, which PostgreSQL 15 flushes lazily for sessions that only run SELECT 1.")

    read = figures.get("read", {})
    rows = load_rows(read, ("gateway-cache-hit", "gateway-cache-bypass"))
    ceilings = figures.get("ceiling", {})
    redis = ceilings.get("redis-get", {})
    pgbench = ceilings.get("pgbench-select", {})
    note = (f"ceilings: redis-benchmark -t get {fmt(redis.get('rps'), 0)} req/s (p50 {fmt(redis.get('p50_ms'), 3)} ms, "
            f"p99 {fmt(redis.get('p99_ms'), 3)} ms); pgbench -S {fmt(pgbench.get('rps'), 0)} tps "
            f"(avg latency {fmt(pgbench.get('avg_ms'), 3)} ms)")
    table("3. Read path: GET /api/items/{id} through the gateway", ["path", "req/s", "p50 ms", "p99 ms", "errors"], rows, note)

    recovery = figures.get("recovery", {})
    rows = []
    for name, label in (("detect-api", "detect: data-api /health/ready 503"), ("detect-gateway", "detect: gateway /health 503"),
                        ("recover-api", "recover: data-api /health pass"), ("recover-gateway", "recover: gateway /health pass")):
        entry = recovery.get(name)
        if entry:
            runs = entry.get("ms_runs", [entry.get("ms")])
            rows.append([label, fmt(entry.get("ms"), 0), fmt(entry.get("ms_max"), 0), str(len(runs))])
    table("4. Detection (from pg_ctl stop -m immediate) and recovery (from PostgreSQL accepting again), polled every 20 ms",
          ["event", "median ms", "max ms", "trials"], rows)

    footprint = figures.get("footprint", {})
    rows = []
    for name, entry in sorted(footprint.items()):
        rows.append([name, fmt(entry.get("rss_idle_mib"), 1), fmt(entry.get("anon_idle_mib"), 1), fmt(entry.get("rss_loaded_mib"), 1),
                     fmt(entry.get("anon_loaded_mib"), 1), fmt(entry.get("startup_ms"), 0)])
    table("5. Footprint (VmRSS: all resident pages; RssAnon: private memory, without shared library and binary pages)",
          ["service", "RSS idle MiB", "anon idle MiB", "RSS after load MiB", "anon after load MiB", "start-up ms (exec to ready)"], rows)

    if len(args) > 1:
        with open(args[1], "w", encoding="utf-8") as out:
            json.dump({"meta": meta, **figures}, out, indent=2, sort_keys=True)
            out.write("\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    handlers = {"detect": cmd_detect, "recover": cmd_recover, "startup": cmd_startup, "pass": cmd_pass, "report": cmd_report}
    if command not in handlers:
        sys.exit(__doc__)
    handlers[command](args)


if __name__ == "__main__":
    main()
