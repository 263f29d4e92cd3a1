# Depesche appliance (SPEC O2): an idle interactive shell ends after 15 minutes, also a
# root shell left open after `sudo -i` on the console or over SSH.
TMOUT=900
readonly TMOUT
export TMOUT
