# libnbd (what nbdsh runs) against a writable 4 MiB export that is all data (0x11), stored where
# zeroing is cheap: a FAST_ZERO over data succeeds and the range reads as zeros. Prints "ok" or fails.
import sys

import nbd

M = 1 << 20
h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert h.can_fast_zero(), "FAST_ZERO offered"
assert h.pread(4096, M) == b"\x11" * 4096
h.zero(2 * M, M, flags=nbd.CMD_FLAG_FAST_ZERO)
h.zero(M, 2 * M, flags=nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
assert h.pread(2 * M, M) == b"\0" * (2 * M)
assert h.pread(M, 0) == b"\x11" * M
assert h.pread(M, 3 * M) == b"\x11" * M
h.flush()
h.shutdown()
print("ok")
