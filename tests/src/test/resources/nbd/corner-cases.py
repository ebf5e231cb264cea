# libnbd (what nbdsh runs) against a writable export of a 64 MiB VHD holding data at [0, 4M) and
# [8M, 10M): structured replies, block status, FUA, zero writes and errors. Prints "ok" or fails.
import errno
import sys

import nbd

M = 1 << 20
h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(sys.argv[1])
assert h.get_structured_replies_negotiated(), "structured replies"
assert h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION), "base:allocation"
size = h.get_size()


def chunks_of(offset, length, flags=0):
    seen = []

    def chunk(buf, at, status, err):
        seen.append((status, at, len(buf)))
        return 0
    data = h.pread_structured(length, offset, chunk, flags=flags)
    return data, seen


# A read over data then a hole: a data chunk and a hole chunk, in any order.
data, seen = chunks_of(3 * M, 2 * M)
assert sorted(seen) == [(nbd.READ_DATA, 3 * M, M), (nbd.READ_HOLE, 4 * M, M)], seen
assert data == b"\x11" * M + b"\0" * M
# DF: one chunk, the hole read as zeros.
data, seen = chunks_of(3 * M, 2 * M, nbd.CMD_FLAG_DF)
assert seen == [(nbd.READ_DATA, 3 * M, 2 * M)], seen
assert data == b"\x11" * M + b"\0" * M

# Block status: data is 0, a never-written VHD block is hole|zero.
extents = []


def status(context, offset, entries, err):
    if context == nbd.CONTEXT_BASE_ALLOCATION:
        extents.extend(zip(entries[0::2], entries[1::2]))
    return 0


h.block_status(12 * M, 0, status)
assert extents == [(4 * M, 0), (4 * M, 3), (2 * M, 0), (2 * M, 3)], extents
extents.clear()
h.block_status(12 * M, 0, status, flags=nbd.CMD_FLAG_REQ_ONE)
assert extents == [(4 * M, 0)], extents

# A FUA write, read back.
h.pwrite(b"\xab" * 4096, 12 * M, flags=nbd.CMD_FLAG_FUA)
assert h.pread(4096, 12 * M) == b"\xab" * 4096

# Zero writes: plain, NO_HOLE, FAST_ZERO where nothing is stored, refused FAST_ZERO over data.
h.zero(M, M)
assert h.pread(M, M) == b"\0" * M
h.zero(4096, 2 * M, flags=nbd.CMD_FLAG_NO_HOLE)
assert h.pread(4096, 2 * M) == b"\0" * 4096
h.zero(M, 5 * M, flags=nbd.CMD_FLAG_FAST_ZERO)
try:
    h.zero(M, 0, flags=nbd.CMD_FLAG_FAST_ZERO)
    raise AssertionError("a fast zero over data must be refused")
except nbd.Error as e:
    assert e.errnum == errno.ENOTSUP, e

h.trim(4096, 9 * M)
h.cache(M, 0)
h.flush()

# Errors the server finds itself (libnbd's own checks off): past the end, unknown flags.
h.set_strict_mode(0)
for call, expected in ((lambda: h.pread(512, size), errno.EINVAL),
                       (lambda: h.pwrite(b"x" * 512, size), errno.ENOSPC),
                       (lambda: h.pread(512, 0, flags=nbd.CMD_FLAG_NO_HOLE), errno.EINVAL),
                       (lambda: h.trim(512, size), errno.EINVAL)):
    try:
        call()
        raise AssertionError("expected errno %d" % expected)
    except nbd.Error as e:
        assert e.errnum == expected, (e, expected)
# The connection is still good.
assert h.pread(4096, 0) == b"\x11" * 4096
h.shutdown()
print("ok")
