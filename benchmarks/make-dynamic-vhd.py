#!/usr/bin/env python3
"""Writes a raw image of SIZE_MIB MiB in which PERCENT of the 2 MiB blocks (a VHD's block size)
hold random data and the rest were never written, the same every time for a given SEED; the
benchmark scripts convert it to the dynamic VHD they time.

Usage: make-dynamic-vhd.py PATH SIZE_MIB PERCENT [SEED]"""
import random
import sys

path, size_mib, percent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261130
MIB = 1 << 20
rng = random.Random(seed)
pool = rng.randbytes(8 * MIB)
with open(path, "wb") as f:
    f.truncate(size_mib * MIB)
    for block in range(size_mib // 2):
        if rng.randrange(100) < percent:
            f.seek(block * 2 * MIB)
            at = (block * 4099) % len(pool)
            f.write((pool[at:] + pool[:at])[:2 * MIB])
