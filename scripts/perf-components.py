#!/usr/bin/env python3
"""Where a process's CPU goes, by component: reads `perf script` output (samples recorded with
call graphs, e.g. `perf record -F 499 --call-graph dwarf,32768 -p <ferry pid> -- sleep 10`)
on stdin and prints each component's share of the samples. A sample counts for the first
component in RULES that any frame of its stack names, so the order matters (the embedded
store's SQLite before the store, the store before the HTTP server it runs under).

    perf script -i perf.data | scripts/perf-components.py

Issue 16's profiles of the upload path (before and after) were classified with this.
"""
import collections
import sys

RULES = [
    ('dynoxide: token cache eviction', ['HashMap<K,V,S,A>::retain']),
    ('dynoxide: SQLite commit (WAL write, fsync)', ['sqlite3VdbeHalt', 'unixSync', 'pagerWalFrames']),
    ('dynoxide: SQLite other', ['sqlite3', 'rusqlite']),
    ('dynoxide: other', ['dynoxide::']),
    ('embedded S3: file create/open', ['File>::open_c']),
    ('embedded S3: other fs', ['tokio::fs', 'std::fs', 'BlockingTask']),
    ('embedded S3: s3s', ['s3s::', 's3s_fs::', 'Notifying']),
    ('AWS SDK clients', ['aws_smithy', 'aws_sdk', 'aws_sigv4', 'aws_runtime']),
    ('Ferry handlers', ['server::']),
    ('HTTP (hyper/axum)', ['hyper::', 'axum::', 'h2::']),
    ('tokio scheduling', ['tokio::runtime']),
]


def component(frames):
    for name, needles in RULES:
        if any(n in f for f in frames for n in needles):
            return name
    return 'other'


def main():
    counts = collections.Counter()
    samples = 0
    for block in sys.stdin.read().split('\n\n'):
        lines = block.strip().split('\n')
        if len(lines) < 2:
            continue
        samples += 1
        frames = [l.strip().split(' ', 1)[1] for l in lines[1:] if ' ' in l.strip()]
        counts[component(frames)] += 1
    if not samples:
        sys.exit('no samples on stdin (pipe `perf script` output)')
    for name, n in counts.most_common():
        print(f'{100 * n / samples:5.1f}%  {name}')
    print(f'({samples} samples)')


if __name__ == '__main__':
    main()
