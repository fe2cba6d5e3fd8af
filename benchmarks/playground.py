"""Measure the playground in a real browser: the 2-D view's refresh rate while training, and
the time from a weight edit to its redraw.

Starts ``shallownet playground`` in a child process (as a user would), drives the page in
Debian's Chromium with Playwright, and reads the page's own timestamps (``performance.now()``):

* **refresh while training**: a data set of 1,000 points, N_h = 32, one epoch per step, the
  100 x 100 grid of the 2-D view evaluated by the library and redrawn after every step;
  frames per second over a window after a warm-up (target: at least 20);
* **weight-edit latency**: a typed weight -> request -> library -> response -> drawn -> the next
  painted frame; for Problem 2 (1-D, exact description) and for a trained N_h = 32 network
  (2-D grid and Table 1 column); median and 90th percentile (target: at most 100 ms).

    python benchmarks/playground.py            # a table
    python benchmarks/playground.py --json
    # side by side with another version of the package (its src/ folder), alternating runs:
    git archive <commit> | tar -x -C /tmp/before
    python benchmarks/playground.py --baseline-src /tmp/before/src --rounds 3

With ``--baseline-src`` the refresh rate is measured ``--rounds`` times for each version,
alternately (baseline, this version, baseline, ...), so both see the same machine load; the
table gives each version's median over the rounds and the load average (``uptime``) of each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

CHROMIUM = os.environ.get("SHALLOWNET_CHROMIUM") or shutil.which("chromium") or \
    "/usr/bin/chromium"


def _cpu_seconds(root: int) -> float:
    """User + system CPU time of process ``root`` and all its descendants (Linux /proc)."""
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid, t in times.items():
        p = pid
        while p > 1 and p != root:
            p = parents.get(p, 0)
        total += t if p == root else 0.0
    return total


def start_server(src: str | None = None) -> tuple[subprocess.Popen, str]:
    """``shallownet playground`` in a child process; ``src``: import the package from there."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if src:
        env["PYTHONPATH"] = os.path.abspath(src)
    proc = subprocess.Popen([sys.executable, "-m", "shallownet.cli", "playground", "--port",
                             "0", "--no-browser"], stdout=subprocess.PIPE, text=True, env=env)
    return proc, proc.stdout.readline().strip()


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(2)
    proc.wait(20)


def refresh_rate(page, dataset: str, n: int, N_h: int, seconds: float, warmup: float,
                 server_pid: int) -> dict:
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.select_option("#dataset", dataset)
    for sel, value in (("#n", n), ("#train-N_h", N_h), ("#epochs_per_step", 1),
                       ("#batch_size", 32)):
        page.fill(sel, str(value))
        page.dispatch_event(sel, "change")
    page.wait_for_function(f"window.playground.state.train.N_h === {N_h} && "
                           f"window.playground.state.data.n === {n}")
    page.wait_for_timeout(500)
    page.click("#play")
    page.wait_for_timeout(warmup * 1000)
    start = page.evaluate("performance.now()")
    cpu_server, cpu_all = _cpu_seconds(server_pid), _cpu_seconds(os.getpid())
    load = os.getloadavg()[0]
    page.wait_for_timeout(seconds * 1000)
    cpu_server = _cpu_seconds(server_pid) - cpu_server
    cpu_browser = _cpu_seconds(os.getpid()) - cpu_all - cpu_server  # Chromium + Playwright
    page.click("#pause")
    page.wait_for_function("!document.getElementById('play').disabled")  # the last step drawn
    frames = [t for t in page.evaluate("window.playground.metrics.frames") if t >= start]
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    span = (frames[-1] - frames[0]) / 1000
    trips = page.evaluate("window.playground.metrics.roundTrips || []")[-len(frames):]
    server = [sum(float(part.split("dur=")[1]) for part in t.split(","))
              for t in page.evaluate("window.playground.metrics.serverTiming")[-len(frames):]
              if t]
    return {"dataset": dataset, "points": n, "N_h": N_h, "grid": "100x100",
            "frames": len(frames), "frames_per_s": (len(frames) - 1) / span,
            "median_frame_ms": statistics.median(gaps),
            "p90_frame_ms": statistics.quantiles(gaps, n=10)[-1],
            "val_score": float(page.locator("#train-status").get_attribute("data-val-score")),
            "server_cpu_ms_per_frame": 1000 * cpu_server / len(frames),
            "browser_cpu_ms_per_frame": 1000 * cpu_browser / len(frames),
            "median_round_trip_ms": statistics.median(trips) if trips else None,
            "median_library_ms": statistics.median(server) if server else None,
            "load_average": load, "uptime": uptime()}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def edit_latency(page, edits: int, cell: str, values) -> dict:
    page.evaluate("window.playground.metrics.editLatencies.length = 0")
    for i in range(edits):
        n = page.evaluate("window.playground.metrics.editLatencies.length")
        page.fill(f'#weights input[data-name="{cell}"]', str(values[i % len(values)]))
        page.wait_for_function(f"window.playground.metrics.editLatencies.length > {n}")
        page.wait_for_timeout(30)
    lat = page.evaluate("window.playground.metrics.editLatencies")
    return {"edits": len(lat), "median_ms": statistics.median(lat),
            "p90_ms": statistics.quantiles(lat, n=10)[-1], "max_ms": max(lat)}


def _browser(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.wait_for_function("window.playground && window.playground.metrics.draws > 0")
    return page


def measure(pw, args, src: str | None = None, edits: bool = True) -> dict:
    """One version's numbers: a fresh server and browser."""
    proc, url = start_server(src)
    results: dict = {}
    try:
        browser = _browser(pw)
        page = _open(browser, url)
        if edits:
            page.click("[data-preset=problem2]")
            results["edit_problem2"] = edit_latency(page, args.edits, "W_O,0,1",
                                                    [-1, -2, -1.5, -3])
        results["refresh_spiral"] = refresh_rate(page, "spiral", 1000, 32, args.seconds,
                                                 args.warmup, proc.pid)
        if edits:
            results["edit_trained_N_h_32"] = edit_latency(page, args.edits, "W_H,5,0",
                                                          [0.5, -0.5, 1.5, -1.5])
        results["browser"] = browser.version
        browser.close()
    finally:
        stop_server(proc)
    return results


def _refresh_line(r: dict) -> str:
    extra = ""
    if r.get("median_round_trip_ms") is not None:
        extra = (f"; request -> response read {r['median_round_trip_ms']:.1f} ms (library "
                 f"{r['median_library_ms']:.1f} ms)")
    return (f"{r['frames_per_s']:.1f} frames/s (median frame {r['median_frame_ms']:.1f} ms, "
            f"90th percentile {r['p90_frame_ms']:.1f} ms); CPU per frame: server "
            f"{r['server_cpu_ms_per_frame']:.1f} ms, browser "
            f"{r['browser_cpu_ms_per_frame']:.1f} ms{extra}; load average "
            f"{r['load_average']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--baseline-src", help="another version's src/ folder, measured "
                        "alternately with this one (refresh rate only)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds with "
                        "--baseline-src")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict = {"uptime_before": uptime()}
    with sync_playwright() as pw:
        if args.baseline_src:
            rounds: dict = {"baseline": [], "this": []}
            for _ in range(args.rounds):
                rounds["baseline"].append(measure(pw, args, args.baseline_src,
                                                  edits=False)["refresh_spiral"])
                rounds["this"].append(measure(pw, args, edits=False)["refresh_spiral"])
            results["rounds"] = rounds
        results.update(measure(pw, args))
    results["cpus"] = os.cpu_count()
    results["uptime_after"] = uptime()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    r = results["refresh_spiral"]
    print(f"Chromium {results['browser']}, {results['cpus']} CPUs, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"  before: {results['uptime_before']}")
    print(f"2-D view while training ({r['dataset']}, {r['points']} points, N_h = {r['N_h']}, "
          f"{r['grid']} grid, 1 epoch per frame); target >= 20 frames/s:")
    print(f"  {_refresh_line(r)}")
    if "rounds" in results:
        for who in ("baseline", "this"):
            runs = results["rounds"][who]
            fps = statistics.median(x["frames_per_s"] for x in runs)
            ms = statistics.median(x["median_frame_ms"] for x in runs)
            print(f"  {who:8s} median of {len(runs)}: {fps:.1f} frames/s, median frame "
                  f"{ms:.1f} ms")
            for x in runs:
                print(f"    {_refresh_line(x)}")
    for key, what in (("edit_problem2", "Problem 2 (1-D, exact description)"),
                      ("edit_trained_N_h_32", "trained N_h = 32 (2-D grid, Table 1 column)")):
        e = results[key]
        print(f"weight edit -> redrawn, {what}: median {e['median_ms']:.1f} ms, 90th "
              f"percentile {e['p90_ms']:.1f} ms, max {e['max_ms']:.1f} ms over {e['edits']} "
              "edits; target <= 100 ms")
    print(f"  after: {results['uptime_after']}")


if __name__ == "__main__":
    main()
