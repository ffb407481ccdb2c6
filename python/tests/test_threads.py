"""One model, many Python threads: the same results as serial calls, and the calls run at
once (the GIL is released while clipkit computes)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

TEXTS = [f"a photo of {n} dogs and {n + 1} cats" for n in range(64)]


def test_threads_give_serial_results(model):
    serial = [model.embed_texts(TEXTS[i::4]) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            parallel = list(pool.map(lambda i: model.embed_texts(TEXTS[i::4]), range(4)))
            for got, want in zip(parallel, serial):
                np.testing.assert_array_equal(got, want)


def test_gil_is_released_during_compute(model):
    # A Python thread notes the time (at most every millisecond) while the main thread is
    # inside one long embed_texts call. Were the GIL held for the call, the thread could
    # not run from just before the call to just after it: one gap as long as the call.
    texts = TEXTS * 16
    ticks = [time.perf_counter()]
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            now = time.perf_counter()
            if now - ticks[-1] > 0.001:
                ticks.append(now)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        time.sleep(0.02)
        start = time.perf_counter()
        model.embed_texts(texts)
        end = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    inside = [start] + [t for t in ticks if start < t < end] + [end]
    longest = max(b - a for a, b in zip(inside, inside[1:]))
    assert longest < (end - start) / 2, (
        f"a Python thread ran {len(inside) - 2} times during {1000 * (end - start):.0f} ms of embed_texts; "
        f"longest pause {1000 * longest:.0f} ms")
