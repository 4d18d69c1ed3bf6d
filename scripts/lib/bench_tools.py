#!/usr/bin/env python3
"""scripts/lib/bench_tools.py: the report of scripts/bench.

Executed by scripts/bench, not meant to be run by hand. Standard library only.
(The health timings, detection, recovery and start-up, are taken by the
resilience-demo tool's `timings` subcommand.)

  report RESULTS_TSV [JSON_FILE]
      print the tables of a run; with JSON_FILE also write the same figures
"""

import json
import statistics
import sys

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
        entry["cpu_vs_haproxy"] = ratio(entry.get("cpu_us_per_req"), haproxy.get("cpu_us_per_req"))


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
    print(f"load average: {meta.get('load_average', '?')} at the start, {meta.get('load_average_after_proxy', '?')} after section 1")

    proxy = figures.get("proxy", {})
    rows = load_rows(proxy, ("direct", "nginx", "haproxy", "gateway", "gateway-1loop"),
                     (("rps_vs_direct", 3), ("rps_vs_haproxy", 3), ("p99_vs_haproxy", 3),
                      ("cpu_us_per_req", 1), ("cpu_vs_haproxy", 2)))
    table("1. Proxy overhead: GET /api/data from one nginx upstream (medians of the rounds)",
          ["target", "req/s", "p50 ms", "p99 ms", "req/s vs direct", "req/s vs haproxy", "p99 vs haproxy",
           "CPU us/req", "CPU vs haproxy", "errors"], rows,
          "CPU us/req: utime + stime of the proxy's processes over each run, divided by its requests "
          "(steadier than req/s when the machine is shared).")

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
    handlers = {"report": cmd_report}
    if command not in handlers:
        sys.exit(__doc__)
    handlers[command](args)


if __name__ == "__main__":
    main()
