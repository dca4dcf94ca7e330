"""How long a command takes to answer a mistake: --help and a misspelled flag, against importing
TensorFlow, each in a fresh process.

    python benchmarks/startup.py [--repeats 5]

The commands parse and check their flags before TensorFlow loads (tfart's package imports it
on first use, and cli.run imports it after the flags parsed), so `tfart-art --help` and
`tfart-art --widht 1` should answer in a fraction of `python -c "import tensorflow"`. Prints the
median wall time of each (fresh processes, one after another) and its ratio to the import.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

BIN = os.path.dirname(sys.executable)  # the console scripts of this environment
CASES = {
    'python -c "import tensorflow"': [sys.executable, "-c", "import tensorflow"],
    "tfart-art --help": [os.path.join(BIN, "tfart-art"), "--help"],
    "tfart-art --widht 1": [os.path.join(BIN, "tfart-art"), "--widht", "1"],
    "tfart-style --help": [os.path.join(BIN, "tfart-style"), "--help"],
    "tfart-perceive --budget 0": [os.path.join(BIN, "tfart-perceive"), "--budget", "0"],
}


def seconds(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = {name: [] for name in CASES}
    for _ in range(args.repeats):  # interleaved, so that a busy moment hits every case alike
        for name, command in CASES.items():
            times[name].append(seconds(command))
    reference = statistics.median(times['python -c "import tensorflow"'])
    print(f"{'command':<34}{'median s':>10}{'/ import tensorflow':>21}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<34}{median:>10.2f}{median / reference:>21.2f}")
    print(f"tfart-art --help: {statistics.median(times['tfart-art --help']):.2f} s, "
          f"{statistics.median(times['tfart-art --help']) / reference:.2f}x the TensorFlow import")


if __name__ == "__main__":
    main()
