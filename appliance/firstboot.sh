#!/bin/sh
# First boot of a Depesche appliance (systemd/depesche-firstboot.service, once per machine):
# new SSH host keys, TLS certificate (self-signed, until the operator sets their own),
# the app's secret key, the database and Redis passwords. The web app stays behind the
# "setup not finished" page until `depesche-ctl setup` has run (nginx mode.conf).
#
# Runs as root without network (PostgreSQL over its Unix socket). Every secret is new on
# every machine: an image never carries one (provision.sh --seal).
set -eu
umask 077
done_mark=/var/lib/depesche-firstboot/done
conf=/etc/depesche
log() { echo "depesche-firstboot: $*"; }
secret() { openssl rand -hex "$1"; }

log "SSH host keys"
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
ssh-keygen -q -t rsa -b 4096 -N '' -f /etc/ssh/ssh_host_rsa_key
ssh-keygen -q -t ecdsa -b 256 -N '' -f /etc/ssh/ssh_host_ecdsa_key

log "TLS certificate (self-signed)"
name=$(hostname)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=$name" -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
    -keyout /etc/nginx/depesche/tls.key.new -out /etc/nginx/depesche/tls.crt.new 2>/dev/null
chmod 600 /etc/nginx/depesche/tls.key.new
chmod 644 /etc/nginx/depesche/tls.crt.new
mv /etc/nginx/depesche/tls.key.new /etc/nginx/depesche/tls.key
mv /etc/nginx/depesche/tls.crt.new /etc/nginx/depesche/tls.crt
# PostgreSQL's own (localhost-only) certificate was made when the image was built.
if [ -x /usr/sbin/make-ssl-cert ]; then
    make-ssl-cert generate-default-snakeoil --force-overwrite
fi

log "passwords and the secret key"
db_password=$(secret 24)
redis_password=$(secret 24)
secret_key=$(secret 48)

# Redis reads its password from its own configuration (it starts after this service).
sed -i '/^requirepass /d' /etc/redis/redis.conf
printf 'requirepass %s\n' "$redis_password" >>/etc/redis/redis.conf
chown redis:redis /etc/redis/redis.conf
chmod 640 /etc/redis/redis.conf

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
# The password goes in on standard input, never on a command line (ps would show it).
# CREATEDB: the backup tool's restore and restore drill put the restored copy into a new
# database with the app's role (and a restore over the live instance renames it into place).
as_postgres psql -q -X -v ON_ERROR_STOP=1 -d postgres <<EOF
\\set pw '$db_password'
SELECT 'CREATE ROLE depesche LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'depesche')
\\gexec
ALTER ROLE depesche WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE depesche OWNER depesche ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'depesche')
\\gexec
EOF

database_url="postgresql://depesche:$db_password@127.0.0.1:5432/depesche"
cat >$conf/depesche.env.new <<EOF
# Depesche settings (app/config.py), written by firstboot.sh; root:depesche 0640.
DEPESCHE_DATA_DIR=/var/lib/depesche
DEPESCHE_DATABASE_URL=$database_url
DEPESCHE_REDIS_URL=redis://:$redis_password@127.0.0.1:6379/0
DEPESCHE_SECRET_KEY=$secret_key
DEPESCHE_SMTP_URL=smtp://127.0.0.1:25
DEPESCHE_MAIL_FROM="Depesche <depesche@$name>"
DEPESCHE_COOKIE_SECURE=yes
DEPESCHE_TRUSTED_PROXIES=1
EOF
# The backup units read their own file; the sites are added by `depesche-ctl setup`.
if [ -f $conf/backup.env ]; then
    grep -v '^DEPESCHE_DATABASE_URL=' $conf/backup.env >$conf/backup.env.new || true
else
    printf '# Depesche backup settings (backup/README.md); root:depesche 0640.\nDEPESCHE_DATA_DIR=/var/lib/depesche\nDEPESCHE_PYTHON=/opt/depesche/venv/bin/python\n' >$conf/backup.env.new
fi
printf 'DEPESCHE_DATABASE_URL=%s\n' "$database_url" >>$conf/backup.env.new
for f in depesche.env backup.env; do
    chown root:depesche $conf/$f.new
    chmod 640 $conf/$f.new
    mv $conf/$f.new $conf/$f
done

touch $done_mark
log "done; finish the setup with: sudo depesche-ctl setup"
