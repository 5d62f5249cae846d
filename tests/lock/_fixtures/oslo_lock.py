"""Python oslo.concurrency side of the fcntl-mode interop tests.

usage: oslo_lock.py hold|probe|wait LOCK_PATH NAME
  hold:  take lockutils.lock(NAME, external=True), print "held", release when stdin closes or
         gets a line, print "released".
  probe: try once with blocking=False, print "acquired" or "busy".
  wait:  print "waiting", take the lock (blocking, oslo's polling), print "acquired", release.
"""
import sys

from oslo_concurrency import lockutils

mode, lock_path, name = sys.argv[1:4]
if mode == "hold":
    with lockutils.lock(name, external=True, lock_path=lock_path):
        print("held", flush=True)
        sys.stdin.readline()
    print("released", flush=True)
elif mode == "probe":
    try:
        with lockutils.lock(name, external=True, lock_path=lock_path, blocking=False):
            print("acquired", flush=True)
    except lockutils.AcquireLockFailedException:
        print("busy", flush=True)
elif mode == "wait":
    print("waiting", flush=True)
    with lockutils.lock(name, external=True, lock_path=lock_path):
        print("acquired", flush=True)
else:
    sys.exit("unknown mode " + mode)
