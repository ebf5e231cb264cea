# libnbd against a read-only export: writes, zeroes and trims reach the server (libnbd's own checks
# off) and come back as EPERM; reads still work. Prints "ok" or fails.
import errno
import sys

import nbd

h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert h.is_read_only()
assert not h.can_trim() and not h.can_zero()
h.set_strict_mode(0)
for call in (lambda: h.pwrite(b"x" * 512, 0), lambda: h.zero(512, 0), lambda: h.trim(512, 0)):
    try:
        call()
        raise AssertionError("a write to a read-only export must fail")
    except nbd.Error as e:
        assert e.errnum == errno.EPERM, e
assert h.pread(512, 0) == b"\x11" * 512
h.shutdown()
print("ok")
