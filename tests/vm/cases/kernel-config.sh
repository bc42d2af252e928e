# lab: --cpu qemu64
# The lab kernel has what distro kernels have and the lab's tests need:
# madvise() and process_vm_readv() work, TCP works over 127.0.0.1 (the guest
# brings the loopback device up), cgroup2 mounts, and BPF can create a cgroup
# array map (biosnoop's cgroup_map, which failed without CONFIG_CGROUPS).
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY' || fail "syscalls of distro kernels"
import ctypes, mmap, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(ok, what):
    if not ok:
        sys.exit("FAIL: %s: %s" % (what, os.strerror(ctypes.get_errno())))
    print("ok:", what)

# madvise(MADV_DONTNEED) on private anonymous memory: it reads zeros after
buf = mmap.mmap(-1, 65536, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
buf[:8] = b"p2pscope"
addr = ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(buf)))
check(libc.madvise(addr, ctypes.c_size_t(65536), 4) == 0 and buf[:8] == bytes(8),
      "madvise(MADV_DONTNEED) drops the pages")

# process_vm_readv() from this very process
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
src = ctypes.create_string_buffer(b"p2pscope", 8)
dst = ctypes.create_string_buffer(8)
local = iovec(ctypes.addressof(dst), 8)
remote = iovec(ctypes.addressof(src), 8)
n = libc.process_vm_readv(os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
check(n == 8 and dst.raw == b"p2pscope", "process_vm_readv() copies the bytes")

# TCP over the loopback device, as the guest comes up
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cli = socket.create_connection(srv.getsockname(), timeout=5)
conn, _ = srv.accept()
cli.sendall(b"ping")
check(conn.recv(4) == b"ping", "TCP over 127.0.0.1")
PY

mount | grep -q ' /sys/fs/cgroup ' || mount -t cgroup2 none /sys/fs/cgroup ||
	fail "cannot mount cgroup2"
ok "cgroup2 mounted: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null | tr '\n' ' ')"
bpftool map create /sys/fs/bpf/p2pscope_cg type cgroup_array key 4 value 4 entries 1 name p2pscope_cg ||
	fail "cannot create a BPF cgroup array map (biosnoop's cgroup_map)"
rm -f /sys/fs/bpf/p2pscope_cg
ok "a BPF cgroup array map can be created"
