#!/bin/sh
# Provision a Debian 12 (bookworm) system as the Depesche appliance (SPEC O1, O2).
#
#   provision.sh [--authorized-keys FILE]                 as root on the target system
#   provision.sh --root DIR [--apt-cache DIR] [--authorized-keys FILE]
#                                                         into a root file system (chroot)
#   --seal   for an image: remove SSH host keys, secrets and the first-boot mark, so that
#            each machine made from the image gets its own at its first boot
#
# Idempotent: a second run changes nothing that the first one set up. No secret is made
# here: SSH host keys, TLS certificate, the app's secret key and the database and Redis
# passwords are made by appliance/firstboot.sh on the first boot of each machine, so no
# two appliances built from one image share one (D43).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
root=
apt_cache=
keys=
seal=

while [ $# -gt 0 ]; do
    case "$1" in
        --root) root=$2; shift 2 ;;
        --apt-cache) apt_cache=$2; shift 2 ;;
        --authorized-keys) keys=$2; shift 2 ;;
        --seal) seal=1; shift ;;
        *) echo "provision.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "provision.sh: run it as root" >&2; exit 1; }

log() { printf '== provision: %s\n' "$*"; }

# The code that goes to /opt/depesche: the checkout without caches, builds and tests.
copy_code() {  # copy_code TARGET_DIR
    mkdir -p "$1"
    find "$1" -mindepth 1 -maxdepth 1 ! -name venv -exec rm -rf {} +
    (cd "$src" && tar -c --exclude=.git --exclude=.venv --exclude=.venv-semgrep \
        --exclude=./build --exclude=./instance --exclude=./test-artifacts --exclude=./tests \
        --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache --exclude=.ruff_cache \
        --exclude='*.egg-info' --exclude=./packer/output --exclude='*.mo' .) | tar -x -C "$1"
    chown -R root:root "$1"
    chmod -R go-w "$1"
}

# --- outside: prepare the chroot and run this script inside it -----------------------
if [ -n "$root" ]; then
    root=$(cd "$root" && pwd)
    [ -x "$root/usr/bin/apt-get" ] || { echo "provision.sh: $root is no Debian root" >&2; exit 1; }
    log "code -> $root/opt/depesche"
    copy_code "$root/opt/depesche"
    if [ -n "$keys" ]; then
        cp "$keys" "$root/root/depesche-authorized-keys"
    fi
    mounted=
    cleanup() {
        rm -f "$root/usr/sbin/policy-rc.d"
        for m in $mounted; do umount -l "$root$m" 2>/dev/null || true; done
    }
    trap cleanup EXIT INT TERM
    # No service may start while we provision (invoke-rc.d asks policy-rc.d).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    for m in /proc /sys /dev /dev/pts /run; do mkdir -p "$root$m"; done
    mount -t proc proc "$root/proc" && mounted="/proc $mounted"
    mount -t sysfs sysfs "$root/sys" && mounted="/sys $mounted"
    mount --bind /dev "$root/dev" && mounted="/dev $mounted"
    mount -t devpts devpts "$root/dev/pts" -o newinstance,ptmxmode=0666 && mounted="/dev/pts $mounted"
    mount -t tmpfs tmpfs "$root/run" && mounted="/run $mounted"
    apt_cached=
    if [ -n "$apt_cache" ]; then
        mkdir -p "$apt_cache/partial"
        mount --bind "$apt_cache" "$root/var/cache/apt/archives" && mounted="/var/cache/apt/archives $mounted"
        apt_cached=1
    fi
    # Name resolution inside the chroot, also once systemd-resolved owns /etc/resolv.conf.
    mkdir -p "$root/run/systemd/resolve"
    cp -L /etc/resolv.conf "$root/run/systemd/resolve/stub-resolv.conf"
    cp -L /etc/resolv.conf "$root/run/systemd/resolve/resolv.conf"
    if [ ! -L "$root/etc/resolv.conf" ]; then cp -L /etc/resolv.conf "$root/etc/resolv.conf"; fi
    # pip in the chroot trusts the build host's CA bundle (for builds behind a
    # TLS-intercepting proxy); it lives on the chroot's /run and does not stay in the image.
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/run/build-host-ca.crt"
    set -- /opt/depesche/appliance/provision.sh
    [ -n "$keys" ] && set -- "$@" --authorized-keys /root/depesche-authorized-keys
    [ -n "$seal" ] && set -- "$@" --seal
    DEPESCHE_IN_CHROOT=1 chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEPESCHE_IN_CHROOT=1 DEPESCHE_APT_CACHED=$apt_cached HOME=/root LANG=C.UTF-8 PIP_CERT=/run/build-host-ca.crt \
        ${PIP_INDEX_URL:+PIP_INDEX_URL=$PIP_INDEX_URL} ${http_proxy:+http_proxy=$http_proxy} \
        ${https_proxy:+https_proxy=$https_proxy} "$@"
    rm -f "$root/root/depesche-authorized-keys"
    exit 0
fi

# --- inside the target ------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8
app=/opt/depesche
files=$app/appliance/files
if [ "$src" != "$app" ]; then
    log "code -> $app"
    copy_code "$app"
fi

log "packages"
debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string depesche.localdomain
unattended-upgrades unattended-upgrades/enable_auto_updates boolean true
EOF
apt-get update -q
# Only what runs; nothing to compile with (the Python wheels are binary wheels).
apt-get install -y -q --no-install-recommends \
    systemd-sysv systemd-resolved dbus libpam-systemd linux-image-amd64 initramfs-tools \
    locales tzdata ca-certificates openssl less sudo whiptail iproute2 procps kmod \
    python3 python3-venv libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core shared-mime-info \
    postgresql redis-server nginx postfix libsasl2-modules \
    chrony unattended-upgrades apt-listchanges \
    auditd audispd-plugins apparmor apparmor-utils \
    borgbackup borgmatic openssh-client openssh-server nftables fail2ban python3-systemd \
    libpam-tmpdir libpam-passwdqc acct sysstat debsums apt-show-versions chkrootkit lynis
# The security updates of what debootstrap installed.
apt-get dist-upgrade -y -q --no-install-recommends
# No compilers, assemblers or linkers on the appliance.
apt-get purge -y -q --auto-remove build-essential gcc g++ make binutils needrestart 2>/dev/null || true

log "users"
getent group depesche >/dev/null || addgroup --system depesche
getent passwd depesche >/dev/null ||
    adduser --system --ingroup depesche --home /var/lib/depesche --no-create-home \
        --shell /usr/sbin/nologin --gecos "Depesche app" depesche
getent passwd depesche-backup >/dev/null ||
    adduser --system --ingroup depesche --home /var/lib/depesche-backup --no-create-home \
        --shell /usr/sbin/nologin --gecos "Depesche backup" depesche-backup
# The operator: SSH keys only (sshd AllowGroups depesche-admins), no password anywhere.
getent group depesche-admins >/dev/null || addgroup --system depesche-admins
if ! getent passwd admin >/dev/null; then
    adduser --disabled-password --gecos "Depesche operator" admin
fi
usermod -a -G depesche-admins,sudo,adm,systemd-journal admin
usermod -p '*' admin
passwd -l root >/dev/null
install -d -m 700 -o admin -g admin /home/admin/.ssh
if [ -n "$keys" ]; then
    install -m 600 -o admin -g admin "$keys" /home/admin/.ssh/authorized_keys
fi
install -m 440 /dev/stdin /etc/sudoers.d/depesche-admins <<'EOF'
# The operator has no password (SSH keys only); sudo therefore asks for none.
%depesche-admins ALL=(ALL:ALL) NOPASSWD: ALL
Defaults use_pty
Defaults logfile="/var/log/sudo.log"
EOF

log "app -> $app/venv"
[ -x $app/venv/bin/python ] || python3 -m venv $app/venv
$app/venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
# Editable: templates and translations are read from the checkout (app.config.ROOT).
$app/venv/bin/python -m pip install -q --disable-pip-version-check -e $app
DEPESCHE_DATA_DIR=$(mktemp -d) $app/venv/bin/depesche translate compile >/dev/null
chown -R root:root $app
chmod -R go-w $app
install -m 755 $app/appliance/depesche-ctl /usr/local/sbin/depesche-ctl
ln -sf $app/venv/bin/depesche /usr/local/bin/depesche-app
install -d -m 751 -o root -g depesche /etc/depesche
install -d -m 750 -o depesche -g depesche /var/lib/depesche
# The backup user's home (borg's cache and security files): the backup units make it as
# their StateDirectory, but `depesche-ctl setup` and `depesche-ctl backup` run the tool
# before any unit did.
install -d -m 700 -o depesche-backup -g depesche /var/lib/depesche-backup

log "systemd units"
for unit in $app/systemd/*.service $app/systemd/*.timer; do
    install -m 644 "$unit" /etc/systemd/system/
done
systemctl enable depesche-firstboot.service depesche-migrate.service \
    depesche-web.service depesche-worker.service \
    depesche-backup.timer depesche-backup-drill.timer depesche-backup-check.timer >/dev/null 2>&1

log "PostgreSQL and Redis (localhost only; passwords at first boot)"
# The standard port, also when the cluster was created in a chroot on a machine whose own
# PostgreSQL held 5432 (pg_createcluster then takes the next free one).
sed -i 's/^port = [0-9]*/port = 5432/' /etc/postgresql/*/main/postgresql.conf
# PostgreSQL listens on localhost (Debian's default); the role and database are made
# at first boot together with their password.
# Redis: localhost only, CONFIG disabled; firstboot.sh writes `requirepass` into redis.conf
# (Redis starts after it).
conf=/etc/redis/redis.conf
sed -i 's/^bind .*/bind 127.0.0.1 -::1/' $conf
sed -i 's/^# *rename-command CONFIG ""/rename-command CONFIG ""/' $conf
rm -f /etc/depesche/redis.conf

log "nginx with TLS (certificate at first boot)"
install -d -m 755 /etc/nginx/depesche /usr/share/depesche-setup /var/lib/depesche-acme
install -m 644 $files/nginx-depesche.conf /etc/nginx/sites-available/depesche
install -m 644 $files/nginx-proxy.conf /etc/nginx/depesche/proxy.conf
install -m 644 $files/nginx-app.conf /etc/nginx/depesche/app.conf
install -m 644 $files/nginx-setup-pending.conf /etc/nginx/depesche/setup-pending.conf
install -m 644 $files/setup-page/* /usr/share/depesche-setup/
rm -f /etc/nginx/sites-enabled/default
ln -sf /etc/nginx/sites-available/depesche /etc/nginx/sites-enabled/depesche
[ -e /etc/nginx/depesche/mode.conf ] || ln -s setup-pending.conf /etc/nginx/depesche/mode.conf
sed -i -e 's/^\(\s*\)# *server_tokens off;/\1server_tokens off;/' \
    -e 's/^\(\s*\)ssl_protocols .*/\1ssl_protocols TLSv1.2 TLSv1.3;/' /etc/nginx/nginx.conf

log "Postfix (outbound only, relay configurable, bounces to the app)"
# postconf -e replaces a setting in place, so a second run changes nothing; the relay
# (relayhost) is the operator's and is never touched here.
grep -v '^#' $files/postfix-main-extra.cf | grep '=' | while IFS= read -r setting; do
    postconf -e "$setting"
done
grep -q '^depesche-bounces' /etc/postfix/master.cf || cat $files/postfix-master-extra.cf >>/etc/postfix/master.cf
[ -f /etc/postfix/transport ] || printf '# VERP-DOMAIN  depesche-bounces:\n' >/etc/postfix/transport
[ -f /etc/postfix/sasl_passwd ] || install -m 600 /dev/null /etc/postfix/sasl_passwd
postmap /etc/postfix/transport /etc/postfix/sasl_passwd
chmod 600 /etc/postfix/sasl_passwd.db

log "hardening: firewall, SSH, kernel, audit, logins"
install -m 755 $files/nftables.conf /etc/nftables.conf
systemctl enable nftables.service >/dev/null 2>&1
install -m 644 $files/sshd-depesche.conf /etc/ssh/sshd_config.d/50-depesche.conf
install -m 644 $files/issue.net /etc/issue.net
install -m 644 $files/issue.net /etc/issue
install -m 644 $files/sysctl-depesche.conf /etc/sysctl.d/90-depesche.conf
install -m 644 $files/modprobe-depesche.conf /etc/modprobe.d/depesche.conf
install -m 640 $files/audit-depesche.rules /etc/audit/rules.d/depesche.rules
install -m 644 $files/20auto-upgrades /etc/apt/apt.conf.d/20auto-upgrades
install -d /etc/systemd/coredump.conf.d
printf '[Coredump]\nStorage=none\nProcessSizeMax=0\n' >/etc/systemd/coredump.conf.d/depesche.conf
printf '* hard core 0\n' >/etc/security/limits.d/depesche.conf
sed -i -e 's/^UMASK.*/UMASK\t\t027/' -e 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS\t365/' \
    -e 's/^PASS_MIN_DAYS.*/PASS_MIN_DAYS\t1/' /etc/login.defs
grep -q '^SHA_CRYPT_MIN_ROUNDS' /etc/login.defs || printf 'SHA_CRYPT_MIN_ROUNDS 500000\n' >>/etc/login.defs
systemctl enable apparmor.service auditd.service chrony.service acct.service >/dev/null 2>&1 || true
# fail2ban: SSH failures from the journal, bans through nftables
install -m 644 $files/fail2ban-depesche.conf /etc/fail2ban/jail.d/depesche.conf
systemctl enable fail2ban.service >/dev/null 2>&1
grep -q '^umask 027' /etc/profile || printf 'umask 027\n' >>/etc/profile
install -m 644 $files/profile-tmout.sh /etc/profile.d/depesche-tmout.sh
# No program runs from shared memory (systemd-remount-fs applies it at boot; build.sh adds
# the root file system's line for the disk image)
grep -qs '^[^#]*[[:space:]]/dev/shm[[:space:]]' /etc/fstab ||
    printf 'tmpfs /dev/shm tmpfs nosuid,nodev,noexec 0 0\n' >>/etc/fstab
chmod 750 /etc/sudoers.d
chmod 700 /home/admin
chmod 700 /etc/cron.d /etc/cron.daily /etc/cron.weekly /etc/cron.monthly /etc/cron.hourly 2>/dev/null || true
chmod 600 /etc/ssh/sshd_config
sed -i 's/^ENABLED=.*/ENABLED="true"/' /etc/default/sysstat
systemctl enable sysstat.service >/dev/null 2>&1 || true
# /tmp in memory, cleared at each boot
systemctl enable /usr/share/systemd/tmp.mount >/dev/null 2>&1 || true

log "network: DHCP on every Ethernet interface"
install -d /etc/systemd/network
cat >/etc/systemd/network/80-depesche-dhcp.network <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
install -d /etc/systemd/resolved.conf.d /etc/systemd/system/systemd-networkd-wait-online.service.d
printf '[Resolve]\nLLMNR=no\nMulticastDNS=no\n' >/etc/systemd/resolved.conf.d/depesche.conf
# Boot goes on after 60 s without a network; a container gets its network from the host.
printf '%s\n' '[Unit]' 'ConditionVirtualization=!container' '' '[Service]' 'ExecStart=' \
    'ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=60' \
    >/etc/systemd/system/systemd-networkd-wait-online.service.d/depesche.conf
systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1
if [ -n "${DEPESCHE_IN_CHROOT:-}" ]; then
    echo depesche >/etc/hostname
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tdepesche.localdomain depesche\n::1\tlocalhost ip6-localhost ip6-loopback\n' >/etc/hosts
fi

if [ -n "${DEPESCHE_APT_CACHED:-}" ]; then
    # the build's package cache (bind-mounted, not in the image) keeps what is current
    apt-get autoclean -q
else
    apt-get clean
fi
if [ -n "$seal" ]; then
    log "seal: the image carries no secret; first boot makes them per machine"
    rm -f /etc/ssh/ssh_host_* /etc/depesche/depesche.env /etc/depesche/backup.env
    rm -f /etc/nginx/depesche/tls.crt /etc/nginx/depesche/tls.key
    rm -f /var/lib/depesche-firstboot/done
    sed -i '/^requirepass /d' /etc/redis/redis.conf
    : >/etc/machine-id
    rm -f /var/lib/dbus/machine-id
fi
log "done"
