# Reads an export at many offsets and lengths (across data, holes and block boundaries) and compares
# each read with the expected bytes in a file: with structured replies, with the don't-fragment flag,
# and with simple replies on a second connection. Arguments: the URI and the expected raw file.
# Prints "ok" or fails.
import random
import sys

import nbd

uri, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path, "rb") as f:
    expected = f.read()

structured = nbd.NBD()
structured.connect_uri(uri)
assert structured.get_structured_replies_negotiated()
simple = nbd.NBD()
simple.set_request_structured_replies(False)
simple.connect_uri(uri)
assert not simple.get_structured_replies_negotiated()
size = structured.get_size()
assert size == len(expected), (size, len(expected))

rng = random.Random(20261201)
ranges = [(0, min(size, 4 << 20)), (size - 512, 512), ((2 << 20) - 4096, 8192)]
for _ in range(120):
    length = rng.choice([512, 4096, 65536, 1 << 20, rng.randrange(1, 3 << 20)])
    length = min(length, size)
    ranges.append((rng.randrange(0, size - length + 1), length))


def read_unfragmented(offset, length):
    chunks = []
    got = structured.pread_structured(length, offset, lambda subbuf, at, status, error: chunks.append(status),
                                      flags=nbd.CMD_FLAG_DF)
    assert len(chunks) == 1, "DF read of %d bytes at %d came as %r" % (length, offset, chunks)
    return got


for offset, length in ranges:
    want = expected[offset:offset + length]
    for read, what in ((lambda: structured.pread(length, offset), "structured"),
                       (lambda: read_unfragmented(offset, length), "DF"),
                       (lambda: simple.pread(length, offset), "simple")):
        got = read()
        if got != want:
            at = next(i for i in range(length) if got[i] != want[i])
            raise AssertionError("%s read of %d bytes at %d differs at byte %d" % (what, length, offset, offset + at))
structured.shutdown()
simple.shutdown()
print("ok")
