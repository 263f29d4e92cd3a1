#!/bin/sh
# Score every Depesche service unit with `systemd-analyze security` and fail when one is
# exposed more than the threshold (SPEC O2: at most 2.0, we aim for 1.5).
#   appliance/check-units.sh [--threshold N] [--root DIR] [UNIT_FILE ...]
# Without unit files: systemd/depesche-*.service of this checkout. With --root DIR the
# units installed in that root file system are scored (offline, e.g. the appliance rootfs).
set -eu
threshold=2.0
root=
while [ $# -gt 0 ]; do
    case "$1" in
        --threshold) threshold=$2; shift 2 ;;
        --root) root=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed" >&2; exit 3; }
if [ $# -eq 0 ]; then
    if [ -n "$root" ]; then
        set -- "$root"/etc/systemd/system/depesche-*.service
    else
        set -- "$(dirname "$0")"/../systemd/depesche-*.service
    fi
fi
failed=0
for unit in "$@"; do
    name=$(basename "$unit")
    if [ -n "$root" ]; then
        out=$(systemd-analyze security --offline=yes --root="$root" "$name" 2>&1) || true
    else
        out=$(systemd-analyze security --offline=yes "$unit" 2>&1) || true
    fi
    score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$score" ]; then
        printf '%s\n' "$out" >&2
        echo "$name: no score" >&2
        failed=1
        continue
    fi
    if awk -v s="$score" -v t="$threshold" 'BEGIN { exit !(s > t) }'; then
        echo "$name $score FAIL (threshold $threshold)"
        failed=1
    else
        echo "$name $score ok"
    fi
done
exit $failed
