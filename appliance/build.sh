#!/bin/sh
# `make appliance`: the appliance without Packer or KVM (SPEC O1, D43).
#   1. debootstrap a Debian 12 root file system from Debian's archive into
#      build/appliance/rootfs (the base packages are cached as a tarball in the build
#      cache: debootstrap checks their signatures when it makes it, and --unpack-tarball
#      checks the tarball against the same release; a tarball older than 30 days is made
#      anew so that the upgrade after it stays small),
#   2. run appliance/provision.sh --seal in it (chroot; no service starts),
#   3. write build/appliance/depesche.raw: MBR partition table, one ext4 root partition,
#      EXTLINUX as the BIOS boot loader (see README: why not GRUB here).
# Root only (debootstrap, chroot, loop devices). APPLIANCE_AUTHORIZED_KEYS=FILE puts the
# operator's SSH key(s) into the image; without it the operator adds a key at the console.
set -eu
cd "$(dirname "$0")/.."
out=${APPLIANCE_OUT:-build/appliance}
# The cache lives outside the checkout, so that a fresh clone (CI) on the same machine finds
# it; without it everything is downloaded. It holds only what Debian signs: debootstrap's
# tarball and apt's .deb files (apt checks each against the signed package lists).
cache=${APPLIANCE_CACHE:-/var/cache/depesche-appliance}
mirror=${APPLIANCE_MIRROR:-http://deb.debian.org/debian}
size=${APPLIANCE_DISK_SIZE:-6G}
rootfs=$out/rootfs
image=$out/depesche.raw
base=$cache/bookworm-minbase.tgz
base_packages=systemd,systemd-sysv,dbus,ca-certificates

[ "$(id -u)" = 0 ] || { echo "make appliance: needs root (debootstrap, chroot, loop devices)" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 sfdisk losetup extlinux; do
    command -v $tool >/dev/null || {
        echo "make appliance: $tool is missing (apt-get install debootstrap e2fsprogs fdisk mount extlinux syslinux-common)" >&2
        exit 1
    }
done
start=$(date +%s)
step() { echo "== appliance [$(( $(date +%s) - start ))s]: $*"; }

mkdir -p "$out" "$cache/apt"
# A root file system left from an interrupted run may still have mounts in it.
if [ -d "$rootfs" ]; then
    for m in $(awk -v r="$(realpath "$rootfs")" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m"
    done
    rm -rf "$rootfs"
fi

if [ -s "$base" ] && [ -n "$(find "$base" -mtime +30)" ]; then
    rm -f "$base"
fi
if [ ! -s "$base" ]; then
    step "debootstrap base tarball -> $base"
    rm -rf "$cache/mk-tmp"
    debootstrap --variant=minbase --include=$base_packages --make-tarball="$base.tmp" \
        bookworm "$cache/mk-tmp" "$mirror"
    mv "$base.tmp" "$base"
    rm -rf "$cache/mk-tmp"
fi
step "debootstrap bookworm -> $rootfs"
debootstrap --variant=minbase --include=$base_packages --unpack-tarball="$(realpath "$base")" \
    bookworm "$rootfs" "$mirror" >"$out/debootstrap.log" 2>&1 || {
    tail -20 "$out/debootstrap.log" >&2
    exit 1
}
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://security.debian.org/debian-security bookworm-security main\n' \
    "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"

step "provision (chroot)"
set -- --root "$rootfs" --apt-cache "$(realpath "$cache/apt")" --seal
[ -n "${APPLIANCE_AUTHORIZED_KEYS:-}" ] && set -- "$@" --authorized-keys "$APPLIANCE_AUTHORIZED_KEYS"
sh appliance/provision.sh "$@"

if [ "${APPLIANCE_NO_IMAGE:-}" = 1 ]; then
    step "done (no disk image: APPLIANCE_NO_IMAGE=1)"
    exit 0
fi

step "disk image -> $image ($size)"
rm -f "$image"
truncate -s "$size" "$image"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$image"
uuid=$(cat /proc/sys/kernel/random/uuid)
offset=$((2048 * 512))
loop=$(losetup --find --show --offset $offset "$image")
mnt=$(mktemp -d)
cleanup() {
    umount "$mnt" 2>/dev/null || true
    losetup -d "$loop" 2>/dev/null || true
    rmdir "$mnt" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
# syslinux reads ext4 without the 64bit feature
mkfs.ext4 -q -L depesche-root -U "$uuid" -O ^64bit "$loop"
mount "$loop" "$mnt"
(cd "$rootfs" && tar -c --numeric-owner --xattrs --acls .) | tar -x -C "$mnt" --numeric-owner --xattrs --acls
# the root's line only in the image: the root file system itself also boots in a container
{
    printf 'UUID=%s / ext4 errors=remount-ro,noatime 0 1\n' "$uuid"
    grep -v '^#' "$rootfs/etc/fstab" || true
} >"$mnt/etc/fstab"
mkdir -p "$mnt/boot/extlinux"
cat >"$mnt/boot/extlinux/extlinux.conf" <<EOF
DEFAULT depesche
TIMEOUT 20
PROMPT 0
LABEL depesche
    MENU LABEL Depesche appliance (Debian 12)
    LINUX /vmlinuz
    INITRD /initrd.img
    APPEND root=UUID=$uuid ro quiet apparmor=1 security=apparmor console=tty0 console=ttyS0,115200
EOF
extlinux --install "$mnt/boot/extlinux" >/dev/null
umount "$mnt"
losetup -d "$loop"
trap - EXIT INT TERM
rmdir "$mnt"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$image" bs=440 count=1 conv=notrunc status=none
step "done: $image (rootfs in $rootfs)"
