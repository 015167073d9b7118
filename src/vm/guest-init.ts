// The guest's PID 1: a busybox shell script in the initramfs. It mounts the host's root read-only over
// 9p (QEMU exports it with readonly=on, so nothing in the guest can write the host's files), puts a
// tmpfs overlay on top so the guest can write (writes stay in guest memory), mounts the kernel
// filesystems BPF work needs, runs the host-written run script as root in a chroot of that overlay,
// and reports the exit status on a virtio serial port. It never exits (PID 1 exiting panics): it powers off.
// 9p runs with cache=mmap, not cache=loose: loose caches sizes and pages with no coherence, so a host file
// edited while the guest runs read back NUL-padded or cut (seen in the matrix: vitest "Invalid Character"
// in files edited meanwhile); mmap reads through to the host and still lets the guest mmap (dlopen).

/** virtio serial port names shared with qemu.ts. */
export const PORTS = { stdout: 'bpfkit.stdout', stderr: 'bpfkit.stderr', status: 'bpfkit.status' } as const;
/** The 9p mount tag of the host's root. */
export const ROOT_TAG = 'hostroot';
/** Kernel command line parameter naming the host directory that holds run.sh. */
export const RUN_PARAM = 'bpfkit.run';

export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
die() { echo "bpfkit-init: $*"; poweroff -f; sleep 60; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || die "cannot mount proc, sys, dev"
while read -r m; do insmod "/modules/$m" || die "insmod $m failed"; done < /modules/order
RUN=
for arg in $(cat /proc/cmdline); do case "$arg" in ${RUN_PARAM}=*) RUN="\${arg#${RUN_PARAM}=}";; esac; done
[ -n "$RUN" ] || die "no ${RUN_PARAM}= on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=mmap ${ROOT_TAG} /lower || die "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs /rw && mkdir /rw/upper /rw/work || die "cannot mount the overlay's tmpfs"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || die "cannot mount the overlay root"
cp "/newroot$RUN/run.sh" /rw/run.sh || die "cannot read $RUN/run.sh"
R=/newroot
mount -t proc proc $R/proc && mount -t sysfs sysfs $R/sys && mount -t devtmpfs devtmpfs $R/dev || die "cannot mount proc, sys, dev in the root"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts; mount -t tmpfs tmpfs $R/dev/shm
# /tmp stays the overlay's (the host's /tmp, read-only below, writable above): a command may run from there.
mount -t tmpfs -o mode=0755 tmpfs $R/run || die "cannot mount /run"
mount -t bpf bpf $R/sys/fs/bpf || die "cannot mount bpffs"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || echo "bpfkit-init: no cgroup2"
mount -t tracefs tracefs $R/sys/kernel/tracing || echo "bpfkit-init: no tracefs"
mount -t debugfs debugfs $R/sys/kernel/debug || echo "bpfkit-init: no debugfs"
mkdir -p $R/run/bpfkit && cp /rw/run.sh $R/run/bpfkit/run.sh
ip link set lo up 2>/dev/null
hostname bpfkit-vm
port() { for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/\${p##*/}"; return 0; }; done; return 1; }
i=0
until OUT=$(port ${PORTS.stdout}) && ERR=$(port ${PORTS.stderr}) && STATUS=$(port ${PORTS.status}) && [ -c "$STATUS" ]; do
  i=$((i+1)); [ $i -gt 200 ] && die "the virtio serial ports did not appear"; sleep 0.05
done
# "started" first: a guest that dies before it was a failed boot, which the host may retry (run.ts).
echo started >"$STATUS"
chroot $R /bin/sh /run/bpfkit/run.sh </dev/null >"$OUT" 2>"$ERR"
echo "exit=$?" >"$STATUS"
poweroff -f
sleep 60
`;
